"""``torch.backends.mps``: Apple's GPUs are not used by scratchcnn."""


def is_available():
    return False


def is_built():
    return False
