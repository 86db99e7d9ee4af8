"""The package's version (one home: ``scratchcnn.__version__``, the CLI's ``--version``,
the visualizer's API and the build all read it here)."""

__version__ = "0.1.0"
