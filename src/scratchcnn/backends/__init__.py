"""``torch.backends``: the switches real PyTorch code sets, with their CPU meaning.

``cudnn.benchmark``/``cudnn.deterministic`` may be set (they have no effect on the
CPU); ``mps.is_available()`` is False. scratchcnn's own switches: ``conv.algorithm``
(``"auto"``, the fast kernels, or ``"im2col"``, the plain op of ``ops/conv.py``) and
``kernels.enabled`` (False: every op runs its plain NumPy function from ``ops/``);
both have a ``flags(...)`` context manager.

>>> import scratchcnn as sc
>>> sc.backends.cudnn.benchmark = True
>>> sc.backends.mps.is_available()
False
>>> with sc.backends.kernels.flags(enabled=False):
...     y = sc.nn.functional.relu(sc.tensor([-1.0, 2.0]))   # the plain op
>>> y
tensor([0., 2.])
"""

from . import conv, cudnn, kernels, mps

__all__ = ["conv", "cudnn", "kernels", "mps"]
