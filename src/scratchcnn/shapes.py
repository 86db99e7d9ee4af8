"""Shape arithmetic of convolution and pooling layers, without running any data.

    out = floor((in - k_eff + 2p) / s) + 1,    k_eff = d*(k - 1) + 1  (the dilated kernel)

and of the transposed convolution, which maps a convolution's output size back to its
input size (``output_padding`` picks among the sizes a stride > 1 maps to the same ``in``):

    out = (in - 1)*s - 2p + d*(k - 1) + output_padding + 1

These are the formulas' only home: ops, layers, ``summary`` and the visualizer call
:func:`conv_output_length` / :func:`conv_transpose_output_length` (one axis, no checks)
or the checked, pair-aware :func:`conv_output_size` / :func:`conv_transpose_output_size`.

>>> from scratchcnn import conv_output_size, pool_output_size
>>> conv_output_size(227, 11, stride=4)          # AlexNet conv1: (227 - 11) / 4 + 1
55
>>> pool_output_size(55, 3, stride=2)            # max-pool 3x3/2: (55 - 3) / 2 + 1
27
>>> conv_output_size((27, 27), 5, padding=2)     # pairs work too
(27, 27)
>>> conv_transpose_output_size(27, 3, stride=2)  # (27 - 1)*2 + (3 - 1) + 1
55
"""

import numbers

from .errors import ArgumentError, ShapeError


def is_int(value):
    """An integer that is not a bool (``True`` is an int to Python, not a size)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def int_pair(value, name, subject=None):
    """PyTorch's int-or-pair argument (kernel_size, stride, padding, ...) -> (int, int): the
    one parser of the library. Raises :class:`ArgumentError` naming ``name`` (and the
    function or layer ``subject``) for anything else.

    >>> int_pair(3, "stride"), int_pair((1, 2), "padding"), int_pair([4, 5], "kernel_size")
    ((3, 3), (1, 2), (4, 5))
    """
    if is_int(value):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(is_int(v) for v in value):
        return int(value[0]), int(value[1])
    raise ArgumentError(f"expects {name} to be an int or a pair of ints, got {value!r}", subject)


def _as_pair(value, name):
    """(the pair, whether ``value`` was given as a pair)."""
    return int_pair(value, name), not is_int(value)


def conv_output_length(size, kernel, stride=1, padding=0, dilation=1):
    """floor((size + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1, one axis, ints,
    unchecked (a negative or zero result means the kernel does not fit)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv_transpose_output_length(size, kernel, stride=1, padding=0, dilation=1,
                                 output_padding=0):
    """(size - 1)*stride - 2*padding + dilation*(kernel - 1) + output_padding + 1, one
    axis, ints, unchecked. The inverse of :func:`conv_output_length`: a convolution with
    the same arguments maps this size back to ``size`` (when output_padding < stride)."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def _one_axis(size, kernel, stride, padding, dilation, exact, axis):
    where = f" along {axis}" if axis else ""
    if size <= 0:
        raise ShapeError(f"input size{where} must be positive, got {size}")
    if kernel <= 0 or stride <= 0 or dilation <= 0:
        raise ArgumentError(f"kernel size, stride and dilation must be positive, got "
                            f"kernel={kernel}, stride={stride}, dilation={dilation}{where}")
    if padding < 0:
        raise ArgumentError(f"padding must be >= 0, got {padding}{where}")
    span = dilation * (kernel - 1) + 1
    padded = size + 2 * padding
    if span > padded:
        raise ShapeError(f"kernel of extent {span} is larger than the padded input{where}: "
                         f"{size} + 2*{padding} = {padded}")
    steps, remainder = divmod(padded - span, stride)
    if exact and remainder:
        raise ShapeError(
            f"(in - k + 2p) / s = ({size} - {span} + 2*{padding}) / {stride} is not whole: "
            f"the last {remainder} input row(s)/column(s){where} are never covered by the kernel")
    return steps + 1


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1, exact=False):
    """Output size of a convolution: an int for int arguments, an (h, w) pair if any is a pair.

    ``exact=True`` raises :class:`ShapeError` when the stride does not divide evenly,
    naming how many input rows or columns the kernel never reaches.
    """
    args = [_as_pair(v, n) for v, n in ((size, "size"), (kernel_size, "kernel_size"),
                                         (stride, "stride"), (padding, "padding"),
                                         (dilation, "dilation"))]
    pairs = [v for v, _ in args]
    if not any(is_pair for _, is_pair in args):
        return _one_axis(*(p[0] for p in pairs), exact, "")
    return tuple(_one_axis(*(p[i] for p in pairs), exact, axis) for i, axis in enumerate("HW"))


def pool_output_size(size, kernel_size, stride=None, padding=0, dilation=1, exact=False):
    """Output size of a pooling layer; ``stride`` defaults to ``kernel_size`` as in PyTorch."""
    return conv_output_size(size, kernel_size, kernel_size if stride is None else stride,
                            padding, dilation, exact)


def _transpose_one_axis(size, kernel, stride, padding, output_padding, dilation, axis):
    where = f" along {axis}" if axis else ""
    if size <= 0:
        raise ShapeError(f"input size{where} must be positive, got {size}")
    if kernel <= 0 or stride <= 0 or dilation <= 0:
        raise ArgumentError(f"kernel size, stride and dilation must be positive, got "
                            f"kernel={kernel}, stride={stride}, dilation={dilation}{where}")
    if padding < 0 or output_padding < 0:
        raise ArgumentError(f"padding and output_padding must be >= 0, got padding={padding}, "
                            f"output_padding={output_padding}{where}")
    if output_padding >= max(stride, dilation):
        raise ArgumentError(f"output_padding must be smaller than stride or dilation, got "
                            f"output_padding={output_padding}, stride={stride}, "
                            f"dilation={dilation}{where}")
    out = conv_transpose_output_length(size, kernel, stride, padding, dilation, output_padding)
    if out <= 0:
        raise ShapeError(f"output size{where} would be ({size} - 1)*{stride} - 2*{padding} + "
                         f"{dilation}*({kernel} - 1) + {output_padding} + 1 = {out}: padding "
                         f"is too large")
    return out


def conv_transpose_output_size(size, kernel_size, stride=1, padding=0, output_padding=0,
                               dilation=1):
    """Output size of a transposed convolution (``ConvTranspose2d``): an int for int
    arguments, an (h, w) pair if any is a pair. Arguments in PyTorch's order."""
    args = [_as_pair(v, n) for v, n in ((size, "size"), (kernel_size, "kernel_size"),
                                         (stride, "stride"), (padding, "padding"),
                                         (output_padding, "output_padding"),
                                         (dilation, "dilation"))]
    pairs = [v for v, _ in args]
    if not any(is_pair for _, is_pair in args):
        return _transpose_one_axis(*(p[0] for p in pairs), "")
    return tuple(_transpose_one_axis(*(p[i] for p in pairs), axis) for i, axis in enumerate("HW"))
