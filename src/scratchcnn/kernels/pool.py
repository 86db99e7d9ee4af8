"""Fast max and average pooling: :mod:`scratchcnn.ops.pool` arranged for speed.

Same signatures and results (read ``ops/pool.py`` for the equations). Max pooling keeps a
running maximum (average pooling a running sum) over the kh*kw kernel offsets instead of
copying every window out or reducing over the window view,
routes NaN windows to their first NaN as argmax does, and stores (rather than adds) the
routed (or averaged) gradient where windows cannot overlap; its passes are split by
channel blocks across threads (:mod:`scratchcnn.kernels.parallel`). The split only divides the work, so the results
are bit for bit those of ``ops/pool.py``, except the average pooling's forward sums,
which NumPy's reduction may add in another order (equal to float rounding). Shapes: x (N, C, H, W), y (N, C, OH, OW).
"""

from ..ops.array_module import array_module
from ..ops.conv import offset_slices, pad_spatial, windows
from ..ops.pool import average_divisor
from . import parallel


def max_pool2d_forward(x, kernel_size, stride, padding=(0, 0), dilation=(1, 1)):
    """As :func:`scratchcnn.ops.pool.max_pool2d_forward`; the cache's argmax is the
    smallest integer type that holds kh*kw - 1."""
    xp = array_module(x)
    view = windows(pad_spatial(x, padding, value=-xp.inf), kernel_size, stride, dilation)
    out, argmax = _window_max(view, xp)
    cache = (x.shape, argmax, kernel_size, stride, padding, dilation)
    return out, cache


def _window_max(view, xp):
    """Max over the (kh, kw) axes of the window view, and the kernel offset u*kw + v of
    the first maximal element (row-major window order; a NaN counts as the maximum).

    A running maximum over the kh*kw kernel offsets, each offset a whole-array step,
    instead of copying every window out (an (N, C, OH, OW, kh*kw) array) and calling
    argmax on rows of kh*kw values: 2-6x faster, and the offset index usually fits in
    one byte (the smallest integer type that holds kh*kw - 1).
    """
    kh, kw = view.shape[-2:]
    out = xp.empty(view.shape[:4], dtype=view.dtype)
    argmax = xp.zeros(out.shape, dtype=xp.min_scalar_type(kh * kw - 1))

    def max_of_channels(channels):            # disjoint channel blocks: one per thread
        block_view, block_out, block_argmax = view[:, channels], out[:, channels], argmax[:, channels]
        xp.copyto(block_out, block_view[..., 0, 0])
        candidate = xp.empty_like(block_out)
        better = xp.empty(block_out.shape, dtype=bool)
        for k in range(1, kh * kw):
            # One strided read into a contiguous buffer; the three steps after it then run
            # on contiguous memory (faster than reading the strided view twice).
            xp.copyto(candidate, block_view[..., k // kw, k % kw])
            xp.greater(candidate, block_out, out=better)   # strictly: a tie keeps the earlier
            # The running maximum. NaN propagates here, and is routed to the first NaN below.
            # (Equal values differ at most as -0.0 / +0.0; on a tie x86 keeps ``out``, the
            # earlier one, as the value at the argmax did.)
            xp.maximum(candidate, block_out, out=block_out)
            # k grows, so the offset to keep is the largest one that was better: a maximum
            # instead of a masked store (masked stores are several times slower).
            xp.maximum(block_argmax, better * argmax.dtype.type(k), out=block_argmax)

    parallel.for_blocks(max_of_channels, out.shape[1], out.size * kh * kw)
    nan = xp.isnan(out)
    if nan.any():
        _first_nan_wins(view, out, argmax, nan, xp)
    return out, argmax


def _first_nan_wins(view, out, argmax, nan, xp):
    """In the windows that hold a NaN (``nan``), make the first NaN the maximum, as argmax
    does: the output is that NaN and it receives the gradient. Only runs on NaN input."""
    kw = view.shape[-1]
    pending = nan.copy()
    for k in range(view.shape[-2] * kw):
        candidate = view[..., k // kw, k % kw]
        first = pending & xp.isnan(candidate)
        argmax[first] = k
        out[first] = candidate[first]
        pending &= ~first


def max_pool2d_backward(grad, cache, needs_grad):
    """As :func:`scratchcnn.ops.pool.max_pool2d_backward`: g routed to each window's
    argmax, one whole-array pass per kernel offset, split by channel blocks."""
    x_shape, argmax, (kh, kw), stride, padding, dilation = cache
    xp = array_module(grad)
    n, c, h, w = x_shape
    (ph, pw), out_size = padding, grad.shape[2:]
    padded = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=grad.dtype)
    # Windows no longer than the stride never overlap (the usual 2x2 pooling with stride
    # 2): every input is in at most one window, so each offset's slice is written once.
    disjoint = all(s >= d * (k - 1) + 1 for s, d, k in zip(stride, dilation, (kh, kw)))

    def route_channels(channels):             # disjoint channel blocks: one per thread
        block_grad, block_argmax, block_padded = grad[:, channels], argmax[:, channels], padded[:, channels]
        routed = xp.empty_like(block_grad)
        for k in range(kh * kw):
            rows, cols = offset_slices(k // kw, k % kw, out_size, stride, dilation)
            # The gradient where offset k was the maximum, 0 * grad elsewhere (as before:
            # NaN where grad is not finite).
            xp.multiply(block_grad, block_argmax == k, out=routed)
            if disjoint:
                # A store, not +=: no read of the slice. Adding 0 keeps the result identical
                # to accumulating into zeros (0 + (-0.0) is +0.0).
                xp.add(routed, 0, out=block_padded[:, :, rows, cols])
            else:
                block_padded[:, :, rows, cols] += routed

    parallel.for_blocks(route_channels, c, grad.size * kh * kw)
    return (padded[:, :, ph:ph + h, pw:pw + w],)


def avg_pool2d_forward(x, kernel_size, stride, padding=(0, 0), count_include_pad=True):
    """As :func:`scratchcnn.ops.pool.avg_pool2d_forward`: a running sum over the kh*kw kernel
    offsets (one strided add each, split by channel blocks) instead of one reduction over
    the (N, C, OH, OW, kh, kw) window view, which NumPy runs several times slower (the
    LeNet-5 step spent a fifth of its time there); then the division."""
    xp = array_module(x)
    view = windows(pad_spatial(x, padding), kernel_size, stride, (1, 1))
    kh, kw = kernel_size
    total = xp.empty(view.shape[:4], dtype=x.dtype)

    def sum_channels(channels):               # disjoint channel blocks: one per thread
        block_view, block_total = view[:, channels], total[:, channels]
        xp.copyto(block_total, block_view[..., 0, 0])
        for k in range(1, kh * kw):
            xp.add(block_total, block_view[..., k // kw, k % kw], out=block_total)

    parallel.for_blocks(sum_channels, total.shape[1], total.size * kh * kw)
    divisor = average_divisor(x.shape, kernel_size, stride, padding, count_include_pad, x.dtype, xp)
    out = total / divisor
    cache = (x.shape, kernel_size, stride, padding, divisor)
    return out.astype(x.dtype, copy=False), cache


def avg_pool2d_backward(grad, cache, needs_grad):
    """As :func:`scratchcnn.ops.pool.avg_pool2d_backward`: g / D added into each window's
    place, one whole-array pass per kernel offset, split by channel blocks; a store
    instead of an add where windows cannot overlap (as max pooling does)."""
    x_shape, (kh, kw), stride, padding, divisor = cache
    xp = array_module(grad)
    share = grad / divisor                                           # (N, C, OH, OW)
    n, c, h, w = x_shape
    (ph, pw), out_size = padding, grad.shape[2:]
    padded = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=share.dtype)
    disjoint = all(s >= k for s, k in zip(stride, (kh, kw)))

    def spread_channels(channels):            # disjoint channel blocks: one per thread
        block_share, block_padded = share[:, channels], padded[:, channels]
        for k in range(kh * kw):
            rows, cols = offset_slices(k // kw, k % kw, out_size, stride, (1, 1))
            if disjoint:      # adding 0 keeps it identical to accumulating into zeros
                xp.add(block_share, 0, out=block_padded[:, :, rows, cols])
            else:
                block_padded[:, :, rows, cols] += block_share

    parallel.for_blocks(spread_channels, c, grad.size * kh * kw)
    return (padded[:, :, ph:ph + h, pw:pw + w],)
