"""``torch.backends.cudnn``: settable flags, no effect on the CPU."""

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available():
    return False


def version():
    return None
