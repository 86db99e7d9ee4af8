"""``Size``: PyTorch's tuple of dimension sizes (``torch.Size``).

>>> from scratchcnn.size import Size
>>> s = Size([2, 3, 4])
>>> s, s.numel(), s[1:], s == (2, 3, 4)
(torch.Size([2, 3, 4]), 24, torch.Size([3, 4]), True)
"""

import operator


class Size(tuple):
    """A tuple of non-negative ints with :meth:`numel`; compares equal to plain tuples."""

    __slots__ = ()

    def __new__(cls, sizes=()):
        try:
            values = tuple(operator.index(s) for s in sizes)
        except TypeError:
            raise TypeError(f"Size() expects a sequence of ints, got {sizes!r}") from None
        return super().__new__(cls, values)

    def numel(self):
        """The number of elements a tensor of this shape holds (1 for ``Size([])``)."""
        count = 1
        for size in self:
            count *= size
        return count

    def __getitem__(self, item):
        result = tuple.__getitem__(self, item)
        return Size(result) if isinstance(item, slice) else result

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __repr__(self):
        return f"torch.Size({list(self)})"

    def __str__(self):
        # Messages format shapes with f"{x.shape}": keep them reading "(2, 3)". The repr
        # (what the REPL and containers show) is PyTorch's.
        return tuple.__repr__(self)
