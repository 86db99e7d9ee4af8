"""``torch.cuda`` as seen from a machine without CUDA: nothing is available.

Scripts that pick their device with ``torch.cuda.is_available()`` run on the CPU;
seeding and cache calls are accepted and do nothing, as PyTorch's do without a GPU.

>>> import scratchcnn as sc
>>> sc.cuda.is_available(), sc.cuda.device_count()
(False, 0)
"""

from .errors import DeviceError


def is_available():
    """Always False: scratchcnn computes on the CPU."""
    return False


def device_count():
    return 0


def is_initialized():
    return False


def manual_seed(seed):
    """Accepted and ignored (PyTorch ignores it too when there is no GPU)."""


def manual_seed_all(seed):
    """Accepted and ignored."""


def empty_cache():
    """Nothing to free."""


def _unavailable(*args, **kwargs):
    raise DeviceError("CUDA is not available: scratchcnn computes on the CPU only "
                      "(torch.cuda.is_available() is False)")


current_device = synchronize = get_device_name = set_device = _unavailable
