"""scratchcnn: convolutional neural networks from scratch on NumPy.

Every forward and backward pass is written by hand in :mod:`scratchcnn.ops`; the
API mirrors PyTorch's so that model code moves between the two unchanged.

>>> import scratchcnn as sc
>>> from scratchcnn import nn
>>> model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
...                       nn.Flatten(), nn.Linear(4 * 4 * 4, 10))
>>> model(sc.zeros(2, 1, 8, 8)).shape
torch.Size([2, 10])
"""

from .version import __version__  # noqa: E402

# Importing the library changes nothing process-wide (no allocator or BLAS settings):
# the `scratchcnn` command applies those for itself (scratchcnn/runtime.py).
from . import accelerator, backends, cuda, data, models, nn, optim, train  # noqa: E402
from . import utils  # noqa: E402 - torch.utils.data
from . import dtypes as _dtypes  # noqa: E402
from .autograd import (  # noqa: E402
    enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled,
)
from .device import device  # noqa: E402
from .functions import *  # noqa: E402,F401,F403 - torch.add, torch.max, torch.flatten ...
from .functions import __all__ as _function_names  # noqa: E402
from .dtypes import (  # noqa: E402
    cdouble, cfloat, complex64, complex128, double, half, int8, int16, long, short,
)
from .gradcheck import gradcheck  # noqa: E402
from .serialization import load, save  # noqa: E402
from .shapes import conv_output_size, conv_transpose_output_size, pool_output_size  # noqa: E402
from .summary import Summary, summary  # noqa: E402
from .threads import get_num_threads, set_num_threads  # noqa: E402
from .random import (  # noqa: E402
    Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state,
)
# Creation functions (tensor, zeros, arange ...) come from .functions (functions/creation.py).
from .dtypes import bool_, float16, float32, float64, int32, int64, uint8  # noqa: E402
from .tensor import Tensor, cat, from_numpy, stack  # noqa: E402

globals().update(_dtypes.ALIASES)   # sc.float, sc.int, sc.bool, as torch.float ...

__all__ = [
    "__version__", "nn", "optim", "models", "data", "train", "summary", "Summary", "conv_output_size",
    "conv_transpose_output_size",
    "pool_output_size", "save", "load", "Tensor", "tensor", "from_numpy", "zeros", "ones", "full",
    "zeros_like", "ones_like", "rand", "randn", "randint", "arange", "cat", "stack",
    "float16", "float32", "float64", "int32", "int64", "uint8", "bool_", "manual_seed",
    "get_rng_state", "set_rng_state", "no_grad", "enable_grad", "is_grad_enabled", "gradcheck",
    "set_num_threads", "get_num_threads", "device", "cuda", "backends", "accelerator",
    "inference_mode", "set_grad_enabled", "Generator", "initial_seed", "seed", *_dtypes.NAMES, *_dtypes.ALIASES,
    *_function_names,
]
