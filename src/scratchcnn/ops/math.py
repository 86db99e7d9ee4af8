"""Element-wise math functions of one array: ``sin``, ``cos``, ``rsqrt``, ``log2``...

Each op is a ``*_forward(a) -> (out, cache)`` / ``*_backward(grad, cache, needs_grad)``
pair, as everywhere in :mod:`scratchcnn.ops`; shapes: ``a``, ``out`` and ``grad`` all
have the same shape. The derivative ``dy/da`` of each function is written next to it.
The rounding functions (``floor``, ``ceil``, ``round``, ``trunc``, ``sign``) are
piecewise constant: their gradient is 0 everywhere (PyTorch's convention).
"""

from .array_module import array_module


def _make(name, function, derivative, uses, formula):
    """Build ``name_forward`` / ``name_backward`` for ``y = function(a)`` with
    ``dL/da = g * derivative(a, y)``; ``uses`` says which of a, y the backward needs."""
    def forward(a):
        xp = array_module(a)
        out = function(xp, a)
        return out, (a if "a" in uses else None, out if "y" in uses else None)

    def backward(grad, cache, needs_grad):
        a, out = cache
        if derivative is None:   # piecewise constant: exactly 0, even where grad is inf
            return (array_module(grad).zeros(grad.shape, dtype=grad.dtype),)
        return ((grad * derivative(array_module(grad), a, out)).astype(grad.dtype, copy=False),)

    forward.__name__, backward.__name__ = name + "_forward", name + "_backward"
    forward.__doc__ = f"{formula} (element-wise; out has a's shape)."
    backward.__doc__ = f"Gradient of {name}: {formula.split(';', 1)[1].strip()}."
    return forward, backward


rsqrt_forward, rsqrt_backward = _make(
    "rsqrt", lambda xp, a: 1 / xp.sqrt(a), lambda xp, a, y: -0.5 * y * y * y, "y",
    "y = 1 / sqrt(a);  dL/da = -g * y**3 / 2")
sin_forward, sin_backward = _make(
    "sin", lambda xp, a: xp.sin(a), lambda xp, a, y: xp.cos(a), "a",
    "y = sin a;  dL/da = g * cos a")
cos_forward, cos_backward = _make(
    "cos", lambda xp, a: xp.cos(a), lambda xp, a, y: -xp.sin(a), "a",
    "y = cos a;  dL/da = -g * sin a")
tan_forward, tan_backward = _make(
    "tan", lambda xp, a: xp.tan(a), lambda xp, a, y: 1 + y * y, "y",
    "y = tan a;  dL/da = g * (1 + y**2)")
log2_forward, log2_backward = _make(
    "log2", lambda xp, a: xp.log2(a), lambda xp, a, y: 1 / (a * 0.6931471805599453), "a",
    "y = log2 a;  dL/da = g / (a ln 2)")
log10_forward, log10_backward = _make(
    "log10", lambda xp, a: xp.log10(a), lambda xp, a, y: 1 / (a * 2.302585092994046), "a",
    "y = log10 a;  dL/da = g / (a ln 10)")
log1p_forward, log1p_backward = _make(
    "log1p", lambda xp, a: xp.log1p(a), lambda xp, a, y: 1 / (1 + a), "a",
    "y = ln(1 + a);  dL/da = g / (1 + a)")
expm1_forward, expm1_backward = _make(
    "expm1", lambda xp, a: xp.expm1(a), lambda xp, a, y: y + 1, "y",
    "y = e**a - 1;  dL/da = g * (y + 1)")
square_forward, square_backward = _make(
    "square", lambda xp, a: a * a, lambda xp, a, y: 2 * a, "a",
    "y = a**2;  dL/da = 2 g a")
reciprocal_forward, reciprocal_backward = _make(
    "reciprocal", lambda xp, a: 1 / a, lambda xp, a, y: -y * y, "y",
    "y = 1 / a;  dL/da = -g y**2")


_zero_derivative = None
floor_forward, floor_backward = _make(
    "floor", lambda xp, a: xp.floor(a), _zero_derivative, "y", "y = floor a;  dL/da = 0")
ceil_forward, ceil_backward = _make(
    "ceil", lambda xp, a: xp.ceil(a), _zero_derivative, "y", "y = ceil a;  dL/da = 0")
trunc_forward, trunc_backward = _make(
    "trunc", lambda xp, a: xp.trunc(a), _zero_derivative, "y",
    "y = a rounded towards 0;  dL/da = 0")
sign_forward, sign_backward = _make(
    "sign", lambda xp, a: xp.sign(a), _zero_derivative, "y", "y = sign a;  dL/da = 0")


def round_forward(a, decimals=0):
    """y = a rounded half to even at ``decimals`` places (PyTorch's and NumPy's rule);
    dL/da = 0. Shapes: out as a."""
    return array_module(a).round(a, decimals), a.dtype


def round_backward(grad, dtype, needs_grad):
    return (array_module(grad).zeros(grad.shape, dtype=dtype),)
