"""The training plots, at their former address: they live beside the trainer in
:mod:`scratchcnn.plots` (``scratchcnn train`` draws them)."""

from ..plots import *  # noqa: F401,F403
from ..plots import __all__  # noqa: F401
