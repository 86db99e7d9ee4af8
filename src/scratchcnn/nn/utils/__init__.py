"""``torch.nn.utils``: gradient clipping and parameter flattening.

>>> import scratchcnn as sc
>>> from scratchcnn import nn
>>> layer = nn.Linear(3, 1)
>>> layer(sc.ones(2, 3)).sum().backward()
>>> total = nn.utils.clip_grad_norm_(layer.parameters(), max_norm=0.5)
>>> float(sum((p.grad.numpy() ** 2).sum() for p in layer.parameters())) ** 0.5 <= 0.5 + 1e-6
True
"""

from .clip_grad import clip_grad_norm_, clip_grad_value_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "parameters_to_vector",
           "vector_to_parameters"]
