"""``python -m scratchcnn ...`` is the same as the ``scratchcnn`` command."""

from .cli import main

raise SystemExit(main())
