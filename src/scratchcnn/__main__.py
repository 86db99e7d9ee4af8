"""``python -m scratchcnn ...`` is the same as the ``scratchcnn`` command (an application:
it applies :func:`scratchcnn.runtime.apply_defaults` for its own process; NumPy is
already loaded here, so only the memory setting takes effect)."""

from . import runtime
from .cli import main

runtime.apply_defaults()
raise SystemExit(main())
