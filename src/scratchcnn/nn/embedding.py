"""``Embedding``: a learnable look-up table of vectors. Math in :mod:`scratchcnn.ops.embedding`."""

import numbers

import numpy as np

from ..dtypes import float_or_default
from .. import random
from ..tensor import Tensor
from . import functional as F
from .module import Module, Parameter


class Embedding(Module):
    """Row ``i`` of ``weight`` for each integer index ``i``, ``torch.nn.Embedding``.

    Shapes: integer input (*) -> output (*, embedding_dim). Parameter ``weight``
    (num_embeddings, embedding_dim) ~ N(0, 1), the ``padding_idx`` row zero and never
    updated by gradients. Gradients of repeated indices add up.

    >>> import scratchcnn as sc
    >>> emb = sc.nn.Embedding(10, 3, padding_idx=0)
    >>> emb(sc.tensor([[0, 2], [4, 0]])).shape
    torch.Size([2, 2, 3])
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None):
        super().__init__()
        subject = f"Embedding({num_embeddings!r}, {embedding_dim!r})"
        for value, name in ((num_embeddings, "num_embeddings"), (embedding_dim, "embedding_dim")):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise F.ArgumentError(f"expects {name} to be a non-negative int, got {value!r}",
                                      subject)
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise F.ArgumentError(f"padding_idx must be within num_embeddings, got "
                                      f"padding_idx={padding_idx}", subject)
            padding_idx = int(padding_idx) % num_embeddings
        if sparse:
            raise F.ArgumentError("sparse=True is not supported (gradients are dense)", subject)
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            dtype = float_or_default(dtype)
            self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim), dtype),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            array = _weight._array if isinstance(_weight, Tensor) else np.asarray(_weight)
            if array.shape != (self.num_embeddings, self.embedding_dim):
                raise F.ShapeError(f"expected _weight of shape ({self.num_embeddings}, "
                                   f"{self.embedding_dim}), got {array.shape}", subject)
            self.weight = Parameter(array, requires_grad=not _freeze)

    def reset_parameters(self):
        """weight ~ N(0, 1), the padding row zero."""
        array = self.weight._array
        array[...] = random.generator().standard_normal(array.shape)
        if self.padding_idx is not None:
            array[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0, scale_grad_by_freq=False, sparse=False):
        """An Embedding whose weight is (a copy-free wrap of) the 2-D ``embeddings``;
        ``freeze=True`` keeps it out of training (``requires_grad=False``)."""
        if embeddings.ndim != 2:
            raise F.ShapeError(f"expected 2-D embeddings (num_embeddings, embedding_dim), got "
                               f"shape {tuple(embeddings.shape)}", "Embedding.from_pretrained()")
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm,
                           self.norm_type, self.scale_grad_by_freq, self.sparse)

    def output_shape(self, input_shape):
        return tuple(input_shape) + (self.embedding_dim,)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += ", scale_grad_by_freq=True"
        return text
