"""conv2d for few input channels: one GEMM per pass with the bias folded in ("ones row").

Where it wins: layers whose window is short, ``K = C*kh*kw`` small (the first layer of
an image network: C = 1 or 3). There the matrix products do little arithmetic per value
moved (K multiply-adds per output value), so the time goes into passes over memory: the
output is 3.5x the size of ``cols`` for the MNIST CNN's conv1 (O = 32, K = 9). Every
pass saved counts, and this file saves three of them.

Derivation. Write the im2col matrix of image n as ``cols_n`` (K, Q), Q = OH*OW, row
(c, u, v) = input channel c seen through kernel offset (u, v) (as in
:mod:`scratchcnn.ops.conv`). Append a row of ones and the bias as a last column of the
weight matrix::

    cols1_n = [cols_n; 1 ... 1]        (K+1, Q)
    Wb      = [W.reshape(O, K) | b]    (O, K+1)

    y_n  = Wb @ cols1_n                (O, Q):  y[n, o, q] = sum_k W[o, k] cols_n[k, q] + b[o]

so the output and the bias come out of one product, already in NCHW order (image n's
(O, Q) block *is* ``y[n]``): no copy back from a channel-major (O, N*Q) result and no
separate bias pass. Backward, with ``g_n = dL/dy[n]`` (O, Q)::

    dWb = sum_n g_n @ cols1_n^T        (O, K+1):  [dW | db], since the last column is
                                                  sum_{n, q} g[n, o, q] * 1 = db[o]
    dcols_n = W^T @ g_n                (K, Q), then col2im (the adjoint of the im2col copy)

``dWb`` gives the weight and the bias gradient in one product, read straight from the
output gradient (no (O, N*Q) copy of it). ``dcols`` is computed only when the input
needs a gradient (``needs_grad[0]``): the data fed to a first layer does not, which
skips the input-gradient product and the scatter entirely.

The products run batched over images (``np.matmul`` on (N, ...) stacks), the batch split
across threads (:mod:`scratchcnn.kernels.parallel`); each thread sums its own images'
``g_n @ cols1_n^T``, and the partial sums are added in a fixed order.

Shapes: x (N, C, H, W), w (O, C, kh, kw), b (O,) or None, y (N, O, OH, OW); groups = 1.
"""

from .. import threads
from ..ops.conv import padding_sides, pad_spatial, windows
from ..ops.array_module import array_module
from . import parallel
from .conv import scatter_windows


def image_cols(x, kernel, stride, padding, dilation, ones_row):
    """(N, C, H, W) -> cols (N, K (+1), OH*OW) per image, K = C*kh*kw, with a last row of
    ones when ``ones_row``; and the output size (OH, OW). One threaded copy."""
    view = windows(pad_spatial(x, padding), kernel, stride, dilation)   # (N, C, OH, OW, kh, kw)
    n, c, oh, ow, kh, kw = view.shape
    k = c * kh * kw
    cols = array_module(x).empty((n, k + int(ones_row), oh * ow), dtype=x.dtype)
    body = cols[:, :k].reshape(n, c, kh, kw, oh, ow)
    parallel.copy(body, view.transpose(0, 1, 4, 5, 2, 3))
    if ones_row:
        cols[:, k] = 1
    return cols, (oh, ow)


def conv2d_forward(x, weight, bias, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """y = conv2d(x, w) + b as ``y_n = [W | b] @ [cols_n; 1]`` per image (groups must be 1).
    x (N, C, H, W), w (O, C, kh, kw), b (O,) or None -> y (N, O, OH, OW)."""
    if groups != 1:
        raise ValueError("the ones-row convolution handles groups=1 only")
    xp = array_module(x)
    o = weight.shape[0]
    has_bias = bias is not None
    cols, (oh, ow) = image_cols(x, weight.shape[2:], stride, padding, dilation, has_bias)
    wb = weight.reshape(o, -1)
    if has_bias:
        wb = xp.concatenate([wb, bias.reshape(o, 1).astype(wb.dtype)], axis=1)   # (O, K+1)
    y = xp.empty((x.shape[0], o, oh * ow), dtype=x.dtype)

    def product(images):
        xp.matmul(wb, cols[images], out=y[images])

    with threads.one_thread_blas():     # one pool of threads (see kernels.parallel)
        parallel.for_blocks(product, x.shape[0], y.size)
    cache = (x.shape, cols, weight, has_bias, stride, padding, dilation)
    return y.reshape(x.shape[0], o, oh, ow), cache


def conv2d_backward(grad, cache, needs_grad):
    """(dL/dx, dL/dw, dL/db) from dL/dy (N, O, OH, OW): ``[dW | db] = sum_n g_n cols1_n^T``
    in one product; dL/dx (``W^T g_n``, col2im) only when ``needs_grad[0]``."""
    x_shape, cols, weight, has_bias, stride, padding, dilation = cache
    xp = array_module(grad)
    n, o = grad.shape[:2]
    g = grad.reshape(n, o, -1)                      # (N, O, Q): a view, no copy
    k = weight[0].size
    dx = dw = db = None
    if needs_grad[1] or (has_bias and needs_grad[2]):
        partial = {}                                # first image of a block -> its sum

        def weight_product(images):                 # this thread's images, summed
            partial[images.start] = xp.matmul(g[images], cols[images].transpose(0, 2, 1)).sum(axis=0)

        with threads.one_thread_blas():
            parallel.for_blocks(weight_product, n, g.size)
        dwb = None
        for start in sorted(partial):               # a fixed order: the same sum every run
            dwb = partial[start] if dwb is None else dwb + partial[start]
        if needs_grad[1]:
            dw = xp.ascontiguousarray(dwb[:, :k]).reshape(weight.shape)
        if has_bias and needs_grad[2]:
            db = xp.ascontiguousarray(dwb[:, k])
    if needs_grad[0]:
        dx = _input_gradient(g, weight, x_shape, grad.shape[2:], stride, padding, dilation)
    return dx, dw, db


def _input_gradient(g, weight, x_shape, out_size, stride, padding, dilation):
    """dL/dx (N, C, H, W): dcols_n = W^T @ g_n (K, Q) per image, then col2im."""
    n, c, h, w = x_shape
    o, _, kh, kw = weight.shape
    oh, ow = out_size
    dcols = parallel.matmul(weight.reshape(o, -1).T, g)               # (N, K, Q)
    grad_windows = dcols.reshape(n, c, kh, kw, oh, ow).transpose(0, 1, 4, 5, 2, 3)
    (top, bottom), (left, right) = padding_sides(padding)
    padded_shape = (n, c, h + top + bottom, w + left + right)
    return scatter_windows(grad_windows, padded_shape, stride, dilation, padding)
