"""Numbers as text: the one formatter of ``scratchcnn explain`` and the visualizer's page
(integers as integers, everything else with a fixed number of decimals)."""

import numpy as np


class Formatter:
    """Writes numbers with ``decimals`` places, integers as integers.

    >>> fmt = Formatter(4)
    >>> fmt.num(8.0), fmt.num(-0.5), fmt.vector([1, 0.25]), fmt.matrix([[1, -1]])
    ('8', '-0.5000', '[1, 0.2500]', ['     1  -1'])
    """

    def __init__(self, decimals):
        self.decimals = decimals

    def num(self, value):
        """Integers as integers (1, -1), everything else with ``decimals`` places."""
        value = float(value)
        if value == int(value) and abs(value) < 1e12:
            return str(int(value))
        return f"{value:.{self.decimals}f}"

    def vector(self, values):
        """Any array (read row-major) as ``[a, b, ...]``."""
        return "[" + ", ".join(self.num(v) for v in np.ravel(values)) + "]"

    def matrix(self, array, indent="    "):
        """A 1-D or 2-D array as text lines, one per row, columns right-aligned."""
        cells = [[self.num(v) for v in row] for row in np.atleast_2d(array)]
        width = max(len(c) for row in cells for c in row)
        return [indent + "  ".join(c.rjust(width) for c in row) for row in cells]


def factor(fmt, value):
    """A number as a factor in a product, written by ``fmt``: negative ones in
    parentheses, ``5*(-1)``."""
    text = fmt.num(value)
    return f"({text})" if value < 0 else text
