"""Normalisation, embedding and resizing functions of ``torch.nn.functional`` (and, via
:mod:`.functional_activation`, more activations and ``pad``); ``nn.functional``
re-exports everything listed in ``__all__``.

Each function checks its arguments and runs a hand-written forward/backward pair from
:mod:`scratchcnn.ops` (``layernorm``, ``normalize``, ``embedding``, ``interpolate``).
"""

import math
import numbers

import numpy as np

from ..autograd import apply, no_grad
from ..errors import ArgumentError, DTypeError, ShapeError, TargetError
from ..ops import embedding as embedding_op, interpolate as interp_op, layernorm
from ..ops import normalize as normalize_op
from ..tensor import Tensor
from .functional_activation import *  # noqa: F401,F403  (re-exported)
from .functional_activation import __all__ as _activation_all, _check_float, _number

__all__ = list(_activation_all) + ["layer_norm", "group_norm", "normalize", "one_hot",
                                   "embedding", "interpolate", "upsample",
                                   "upsample_nearest", "upsample_bilinear"]


def _affine_param(param, name, shape, input, subject):
    if param is None:
        return None
    if not isinstance(param, Tensor):
        raise TypeError(f"{subject} expects {name} to be a Tensor of shape {shape}, got "
                        f"{type(param).__name__}")
    if tuple(param.shape) != tuple(shape):
        raise ShapeError(f"expected {name} of shape {tuple(shape)}, got {tuple(param.shape)}",
                         subject)
    if param.dtype != input.dtype:
        raise DTypeError(f"got input of dtype {input.dtype} but {name} of dtype "
                         f"{param.dtype}", subject)
    return param


def _eps(eps, subject):
    eps = _number(eps, "eps", subject)
    if eps < 0:
        raise ArgumentError(f"expects eps >= 0, got eps={eps}", subject)
    return eps


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing ``normalized_shape`` axes of each sample, then
    ``* weight + bias`` (both of shape ``normalized_shape``). See :mod:`scratchcnn.ops.layernorm`."""
    subject = "layer_norm()"
    _check_float(input, subject)
    shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) \
        else tuple(normalized_shape)
    if not shape or not all(isinstance(s, numbers.Integral) for s in shape):
        raise ArgumentError(f"expects normalized_shape to be an int or a non-empty tuple of "
                            f"ints, got {normalized_shape!r}", subject)
    shape = tuple(int(s) for s in shape)
    if input.ndim < len(shape) or tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise ShapeError(f"expected input with shape (*, {', '.join(map(str, shape))}) "
                         f"(normalized_shape={list(shape)}), got input of shape "
                         f"{input.shape}", subject)
    weight = _affine_param(weight, "weight", shape, input, subject)
    bias = _affine_param(bias, "bias", shape, input, subject)
    return apply(layernorm.layer_norm_forward, layernorm.layer_norm_backward, input, weight,
                 bias, normalized_ndim=len(shape), eps=_eps(eps, subject))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each of ``num_groups`` channel groups of each sample of (N, C, *) input,
    then ``* weight + bias`` per channel ((C,) each). See :mod:`scratchcnn.ops.layernorm`."""
    subject = "group_norm()"
    _check_float(input, subject)
    if input.ndim < 2:
        raise ShapeError(f"expected input of shape (N, C, *) (at least 2-D), got "
                         f"{input.ndim}-D input of shape {input.shape}", subject)
    if isinstance(num_groups, bool) or not isinstance(num_groups, numbers.Integral) or \
            num_groups <= 0:
        raise ArgumentError(f"expects num_groups to be a positive int, got {num_groups!r}",
                            subject)
    channels = input.shape[1]
    if channels % num_groups:
        raise ShapeError(f"expected the number of channels ({channels}) to be divisible by "
                         f"num_groups={num_groups}, input of shape {input.shape}", subject)
    if input.shape[0] * (channels // num_groups) * int(np.prod(input.shape[2:])) == 1:
        raise ShapeError(f"expected more than 1 value per group when training, got input of "
                         f"shape {input.shape} with num_groups={num_groups}", subject)
    weight = _affine_param(weight, "weight", (channels,), input, subject)
    bias = _affine_param(bias, "bias", (channels,), input, subject)
    return apply(layernorm.group_norm_forward, layernorm.group_norm_backward, input, weight,
                 bias, num_groups=int(num_groups), eps=_eps(eps, subject))


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """x / max(||x||_p, eps) along ``dim``. See :mod:`scratchcnn.ops.normalize`."""
    subject = "normalize()"
    _check_float(input, subject)
    if out is not None:
        raise ArgumentError("out= is not supported", subject)
    p = _number(p, "p", subject)
    if not p > 0:
        raise ArgumentError(f"expects p > 0 (or inf), got p={p}", subject)
    ndim = max(input.ndim, 1)
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or \
            not -ndim <= dim < ndim:
        raise ShapeError(f"dim={dim!r} is out of range for a {input.ndim}-D input "
                         f"(expected an int in [{-ndim}, {ndim - 1}])", subject)
    x = input.reshape(1) if input.ndim == 0 else input
    result = apply(normalize_op.normalize_forward, normalize_op.normalize_backward, x, p=p,
                   dim=int(dim) % ndim, eps=_eps(eps, subject))
    return result.reshape(()) if input.ndim == 0 else result


def _index_array(indices, subject, name="input"):
    array = indices._array if isinstance(indices, Tensor) else np.asarray(indices)
    if array.dtype.kind not in "iu":
        raise DTypeError(f"expects {name} to hold integer indices (int64), got dtype "
                         f"{array.dtype}", subject)
    return array.astype(np.int64, copy=False)


def one_hot(tensor, num_classes=-1):
    """int64 (*, num_classes) with a 1 at each index of the integer ``tensor`` (*).
    ``num_classes=-1``: one more than the largest index."""
    subject = "one_hot()"
    indices = _index_array(tensor, subject, "tensor")
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or \
            num_classes < -1:
        raise ArgumentError(f"expects num_classes to be -1 or a non-negative int, got "
                            f"{num_classes!r}", subject)
    if indices.size and indices.min() < 0:
        raise TargetError(f"got the negative class {indices.min()}: classes must be "
                          f"non-negative", subject)
    if num_classes == -1:
        if indices.size == 0:
            raise ArgumentError("can not infer the number of classes of an empty tensor: "
                                "pass num_classes", subject)
        num_classes = int(indices.max()) + 1
    if indices.size and indices.max() >= num_classes:
        raise TargetError(f"got class {indices.max()}, too large for num_classes="
                          f"{num_classes} (valid: 0..{num_classes - 1})", subject)
    return apply(embedding_op.one_hot_forward, embedding_op.one_hot_backward, indices,
                 num_classes=int(num_classes))


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` (V, D) picked by the integer ``input`` (*) -> (*, D). The row
    ``padding_idx`` gets no gradient; with ``max_norm`` the rows read are first rescaled
    in place to norm <= max_norm. See :mod:`scratchcnn.ops.embedding`."""
    subject = "embedding()"
    indices = _index_array(input, subject)
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise ShapeError(f"expects weight to be a 2-D Tensor (num_embeddings, "
                         f"embedding_dim), got {getattr(weight, 'shape', type(weight))}",
                         subject)
    if sparse:
        raise ArgumentError("sparse=True is not supported (gradients are always dense)",
                            subject)
    rows = weight.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= rows):
        bad = indices.min() if indices.min() < 0 else indices.max()
        raise TargetError(f"index {bad} is out of range for {rows} embeddings (valid: "
                          f"0..{rows - 1})", subject)
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise ArgumentError(f"padding_idx={padding_idx} must be within the "
                                f"{rows} embeddings", subject)
        padding_idx = int(padding_idx) % rows
    if max_norm is not None:
        with no_grad():   # PyTorch renormalises the weight in place, outside the graph
            embedding_op.renorm_rows_(weight._array, indices, float(max_norm),
                                      float(norm_type))
            weight._vc[0] += 1
    return apply(embedding_op.embedding_forward, embedding_op.embedding_backward, weight,
                 indices, padding_idx=padding_idx, scale_grad_by_freq=bool(scale_grad_by_freq))


# --------------------------------------------------------------------- interpolation
INTERPOLATE_MODES = {"nearest": (3, 4, 5), "linear": (3,), "bilinear": (4,), "trilinear": (5,)}


def _per_axis(value, spatial, name, subject, cast):
    if isinstance(value, (tuple, list)):
        if len(value) != spatial:
            raise ShapeError(f"expects {name} to have {spatial} entries for an input with "
                             f"{spatial} spatial dimensions, got {tuple(value)}", subject)
        return tuple(cast(v) for v in value)
    return (cast(value),) * spatial


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial axes of (N, C, *spatial) input, as ``torch.nn.functional.interpolate``.

    Give exactly one of ``size`` (int or tuple) and ``scale_factor`` (float or tuple; the
    output is floor(in * scale_factor)). Modes: ``'nearest'`` (1-3 spatial axes),
    ``'linear'`` (3-D input), ``'bilinear'`` (4-D), ``'trilinear'`` (5-D); ``align_corners``
    only for the linear modes. See :mod:`scratchcnn.ops.interpolate`.
    """
    subject = "interpolate()"
    _check_float(input, subject)
    if mode not in INTERPOLATE_MODES:
        raise ArgumentError(f"mode must be one of {tuple(INTERPOLATE_MODES)}, got {mode!r}",
                            subject)
    if input.ndim not in INTERPOLATE_MODES[mode]:
        layouts = {3: "(N, C, L)", 4: "(N, C, H, W)", 5: "(N, C, D, H, W)"}
        wanted = " or ".join(layouts[n] for n in INTERPOLATE_MODES[mode])
        raise ShapeError(f"mode {mode!r} expects input of shape {wanted}, got {input.ndim}-D "
                         f"input of shape {input.shape}", subject)
    if antialias:
        raise ArgumentError("antialias=True is not supported", subject)
    linear = mode != "nearest"
    if align_corners is not None and not linear:
        raise ArgumentError("align_corners option can only be set with the interpolating "
                            "modes: linear | bilinear | trilinear", subject)
    if (size is None) == (scale_factor is None):
        raise ArgumentError("expects exactly one of size and scale_factor to be given",
                            subject)
    spatial = input.ndim - 2
    in_sizes = input.shape[2:]
    if size is not None:
        sizes = _per_axis(size, spatial, "size", subject, int)
        scales = (None,) * spatial
    else:
        scales = _per_axis(scale_factor, spatial, "scale_factor", subject, float)
        if min(scales) <= 0:
            raise ArgumentError(f"expects scale_factor > 0, got {scale_factor!r}", subject)
        sizes = tuple(int(math.floor(n * s)) for n, s in zip(in_sizes, scales))
        if recompute_scale_factor:
            scales = (None,) * spatial
    if min(sizes) <= 0 or min(in_sizes) <= 0:
        raise ShapeError(f"input and output sizes should be greater than 0, got input "
                         f"{tuple(in_sizes)} and output {sizes}", subject)
    if linear:
        plans = tuple(interp_op.linear_weights(n, m, bool(align_corners), s, input.dtype)
                      for n, m, s in zip(in_sizes, sizes, scales))
    else:
        plans = tuple(interp_op.nearest_index(n, m, s)
                      for n, m, s in zip(in_sizes, sizes, scales))
    return apply(interp_op.interpolate_forward, interp_op.interpolate_backward, input,
                 plans=plans, mode="nearest" if not linear else "linear")


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated PyTorch alias of :func:`interpolate`."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated PyTorch alias: ``interpolate(mode='nearest')``."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated PyTorch alias: ``interpolate(mode='bilinear', align_corners=True)``."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
