"""``torch.backends``: the switches real PyTorch code sets, with their CPU meaning.

``cudnn.benchmark``/``cudnn.deterministic`` may be set (they have no effect on the
CPU); ``mps.is_available()`` is False.

>>> import scratchcnn as sc
>>> sc.backends.cudnn.benchmark = True
>>> sc.backends.mps.is_available()
False
"""

from . import cudnn, mps

__all__ = ["cudnn", "mps"]
