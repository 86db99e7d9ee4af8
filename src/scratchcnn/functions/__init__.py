"""PyTorch's top-level functions (``torch.add``, ``torch.max``, ``torch.flatten``,
``torch.zeros``...), each a thin front for a Tensor method or a creation routine.
``import scratchcnn as torch`` exposes them all."""

__all__ = []

from . import creation as _creation  # noqa: E402
from . import shape as _shape  # noqa: E402
from .creation import *  # noqa: E402,F401,F403
from .shape import *  # noqa: E402,F401,F403

__all__ += _creation.__all__ + _shape.__all__
