"""PyTorch's top-level functions (``torch.add``, ``torch.max``, ``torch.flatten``,
``torch.zeros``...), each a thin front for a Tensor method or a creation routine.
``import scratchcnn as torch`` exposes them all."""

__all__ = []

from . import creation as _creation  # noqa: E402
from . import legacy as _legacy  # noqa: E402
from . import misc as _misc  # noqa: E402
from . import math as _math  # noqa: E402
from . import ranges as _ranges  # noqa: E402
from . import reduce as _reduce  # noqa: E402
from . import shape as _shape  # noqa: E402
from .creation import *  # noqa: E402,F401,F403
from .legacy import *  # noqa: E402,F401,F403
from .misc import *  # noqa: E402,F401,F403
from .math import *  # noqa: E402,F401,F403
from .ranges import *  # noqa: E402,F401,F403
from .reduce import *  # noqa: E402,F401,F403
from .shape import *  # noqa: E402,F401,F403

__all__ += _legacy.__all__ + _misc.__all__
__all__ += _creation.__all__ + _ranges.__all__ + _shape.__all__ + _math.__all__ + _reduce.__all__
