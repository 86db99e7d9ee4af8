"""``torch.accelerator``: no accelerator here; scratchcnn computes on the CPU.

>>> import scratchcnn as sc
>>> sc.accelerator.is_available(), sc.accelerator.current_accelerator()
(False, None)
"""


def is_available():
    return False


def current_accelerator(check_available=False):
    return None


def device_count():
    return 0
