"""The loop versions: every op written straight from its definition, one Python loop
per index (CS231n style). Slow on purpose and for reading: they share no code with the
vectorised ops (strided windows, im2col, scatter), so the tests compare the two, the
benchmark's ladder starts here, and a learner can read the formula in a loop.

Shapes: x (N, C, H, W), w (O, C/groups, KH, KW), b (O,), y and grad = dL/dy
(N, O, OH, OW). Kernel size, stride, padding and dilation are ints or (h, w) pairs.
Every function returns NumPy arrays of the input's dtype.

>>> import numpy as np
>>> x = np.arange(16.0).reshape(1, 1, 4, 4)
>>> max_pool2d_forward(x, 2, 2)[0, 0]
array([[ 5.,  7.],
       [13., 15.]])
>>> conv2d_forward(x, np.ones((1, 1, 2, 2)), np.zeros(1))[0, 0, 0]
array([10., 14., 18.])
"""

import numpy as np

from ..shapes import conv_output_length, int_pair


def _pad(x, padding, value=0.0):
    ph, pw = int_pair(padding, "padding")
    n, c, h, w = x.shape
    padded = np.full((n, c, h + 2 * ph, w + 2 * pw), value, dtype=x.dtype)
    padded[:, :, ph:ph + h, pw:pw + w] = x
    return padded


def _unpad(padded, padding):
    ph, pw = int_pair(padding, "padding")
    return padded[:, :, ph:padded.shape[2] - ph, pw:padded.shape[3] - pw]


def _out_shape(x, kernel, stride, padding, dilation):
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (int_pair(v, n) for v, n in (
        (kernel, "kernel"), (stride, "stride"), (padding, "padding"), (dilation, "dilation")))
    return (conv_output_length(x.shape[2], kh, sh, ph, dh),
            conv_output_length(x.shape[3], kw, sw, pw, dw))


# --------------------------------------------------------------------- convolution
def _window(i, j, kernel, stride, dilation):
    """Row and column slices of the padded input that output (i, j) reads."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    return (slice(i * sh, i * sh + dh * (kh - 1) + 1, dh),
            slice(j * sw, j * sw + dw * (kw - 1) + 1, dw))


def conv2d_forward(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """y[n, o, i, j] = b[o] + sum_{c,u,v} w[o, c, u, v] * xp[n, g*C/G + c, i*sh + u*dh, j*sw + v*dw]

    with ``g = o // (O/G)`` the group of output channel ``o`` and xp the input padded
    with zeros: one loop iteration per output value, each the sum of one window times
    one filter (CS231n's naive convolution).
    Fast version: :func:`scratchcnn.ops.conv.conv2d_forward`."""
    n_batch = x.shape[0]
    out_channels, group_channels, kh, kw = w.shape
    stride, dilation = int_pair(stride, "stride"), int_pair(dilation, "dilation")
    oh, ow = _out_shape(x, (kh, kw), stride, padding, dilation)
    xp = _pad(x, padding)
    y = np.zeros((n_batch, out_channels, oh, ow), dtype=x.dtype)
    per_group = out_channels // groups
    for n in range(n_batch):
        for o in range(out_channels):
            first = (o // per_group) * group_channels
            for i in range(oh):
                for j in range(ow):
                    rows, cols = _window(i, j, (kh, kw), stride, dilation)
                    window = xp[n, first:first + group_channels, rows, cols]
                    y[n, o, i, j] = np.sum(window * w[o]) + (0.0 if b is None else b[o])
    return y


def conv2d_backward(grad, x, w, has_bias=True, stride=1, padding=0, dilation=1, groups=1):
    """(dx, dw, db) for dL/dy = ``grad``: each output value sends grad * filter back to the
    window it read, and grad * window to the filter it used; db sums grad.
    Fast version: :func:`scratchcnn.ops.conv.conv2d_backward`."""
    n_batch = x.shape[0]
    out_channels, group_channels, kh, kw = w.shape
    stride, dilation = int_pair(stride, "stride"), int_pair(dilation, "dilation")
    _, _, oh, ow = grad.shape
    xp = _pad(x, padding)
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    per_group = out_channels // groups
    for n in range(n_batch):
        for o in range(out_channels):
            first = (o // per_group) * group_channels
            for i in range(oh):
                for j in range(ow):
                    rows, cols = _window(i, j, (kh, kw), stride, dilation)
                    g = grad[n, o, i, j]
                    dw[o] += g * xp[n, first:first + group_channels, rows, cols]
                    dxp[n, first:first + group_channels, rows, cols] += g * w[o]
    db = grad.sum(axis=(0, 2, 3)).astype(x.dtype) if has_bias else None
    return _unpad(dxp, padding), dw, db


# --------------------------------------------------------------------- max pooling
def max_pool2d_forward(x, kernel, stride=None, padding=0, dilation=1):
    """y[n, c, i, j] = max_{u,v} xp[n, c, i*sh + u*dh, j*sw + v*dw], xp padded with -inf.
    Fast version: :func:`scratchcnn.ops.pool.max_pool2d_forward`."""
    return _max_pool(x, kernel, kernel if stride is None else stride, padding, dilation)[0]


def max_pool2d_backward(grad, x, kernel, stride=None, padding=0, dilation=1):
    """Each output's gradient goes to the first maximal element of its window (row-major
    order, as PyTorch); elements that win several windows collect each gradient."""
    stride = kernel if stride is None else stride
    _, winners = _max_pool(x, kernel, stride, padding, dilation)
    dxp = np.zeros_like(_pad(x, padding, -np.inf))
    for (n, c, i, j), (r, s) in winners.items():
        dxp[n, c, r, s] += grad[n, c, i, j]
    return _unpad(dxp, padding)


def _max_pool(x, kernel, stride, padding, dilation):
    n_batch, channels, _, _ = x.shape
    (kh, kw), (sh, sw) = int_pair(kernel, "kernel"), int_pair(stride, "stride")
    dh, dw = int_pair(dilation, "dilation")
    oh, ow = _out_shape(x, kernel, stride, padding, dilation)
    xp = _pad(x, padding, -np.inf)
    y = np.zeros((n_batch, channels, oh, ow), dtype=x.dtype)
    winners = {}
    for n in range(n_batch):
        for c in range(channels):
            for i in range(oh):
                for j in range(ow):
                    best, where = None, None
                    for u in range(kh):
                        for v in range(kw):
                            r, s = i * sh + u * dh, j * sw + v * dw
                            if best is None or xp[n, c, r, s] > best:  # strict: first max wins
                                best, where = xp[n, c, r, s], (r, s)
                    y[n, c, i, j] = best
                    winners[n, c, i, j] = where
    return y, winners


# --------------------------------------------------------------------- average pooling
def _avg_divisor(i, j, kernel, stride, padding, size, count_include_pad):
    """kh*kw, or the number of window elements inside the unpadded input."""
    (kh, kw), (sh, sw) = int_pair(kernel, "kernel"), int_pair(stride, "stride")
    ph, pw = int_pair(padding, "padding")
    if count_include_pad:
        return kh * kw
    h, w = size
    return sum(1 for u in range(kh) for v in range(kw)
               if 0 <= i * sh + u - ph < h and 0 <= j * sw + v - pw < w)


def avg_pool2d_forward(x, kernel, stride=None, padding=0, count_include_pad=True):
    """y[n, c, i, j] = sum_{u,v} xp[n, c, i*sh + u, j*sw + v] / divisor (kh*kw, or the
    count of unpadded elements). Fast version: :func:`scratchcnn.ops.pool.avg_pool2d_forward`."""
    stride = kernel if stride is None else stride
    n_batch, channels, h, w = x.shape
    (kh, kw), (sh, sw) = int_pair(kernel, "kernel"), int_pair(stride, "stride")
    oh, ow = _out_shape(x, kernel, stride, padding, 1)
    xp = _pad(x, padding)
    y = np.zeros((n_batch, channels, oh, ow), dtype=x.dtype)
    for n in range(n_batch):
        for c in range(channels):
            for i in range(oh):
                for j in range(ow):
                    total = 0.0
                    for u in range(kh):
                        for v in range(kw):
                            total += xp[n, c, i * sh + u, j * sw + v]
                    y[n, c, i, j] = total / _avg_divisor(i, j, kernel, stride, padding,
                                                         (h, w), count_include_pad)
    return y


def avg_pool2d_backward(grad, x, kernel, stride=None, padding=0, count_include_pad=True):
    """Each output's gradient, divided by its divisor, goes to every element it averaged."""
    stride = kernel if stride is None else stride
    n_batch, channels, h, w = x.shape
    (kh, kw), (sh, sw) = int_pair(kernel, "kernel"), int_pair(stride, "stride")
    _, _, oh, ow = grad.shape
    dxp = np.zeros_like(_pad(x, padding))
    for n in range(n_batch):
        for c in range(channels):
            for i in range(oh):
                for j in range(ow):
                    share = grad[n, c, i, j] / _avg_divisor(i, j, kernel, stride, padding,
                                                            (h, w), count_include_pad)
                    for u in range(kh):
                        for v in range(kw):
                            dxp[n, c, i * sh + u, j * sw + v] += share
    return _unpad(dxp, padding)


# --------------------------------------------------------------------- linear, ReLU
def linear_forward(x, w, b=None):
    """y[n, o] = b[o] + sum_i x[n, i] * w[o, i]; x (N, I), w (O, I), y (N, O).
    Fast version: :func:`scratchcnn.ops.linear.linear_forward`."""
    n_batch, n_in = x.shape
    y = np.zeros((n_batch, w.shape[0]), dtype=x.dtype)
    for n in range(n_batch):
        for o in range(w.shape[0]):
            total = 0.0 if b is None else b[o]
            for i in range(n_in):
                total += x[n, i] * w[o, i]
            y[n, o] = total
    return y


def linear_backward(grad, x, w):
    """(dx, dw, db): dx[n, i] = sum_o grad[n, o] w[o, i]; dw[o, i] = sum_n grad[n, o] x[n, i];
    db[o] = sum_n grad[n, o]."""
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    db = np.zeros(w.shape[0], dtype=x.dtype)
    for n in range(x.shape[0]):
        for o in range(w.shape[0]):
            db[o] += grad[n, o]
            for i in range(x.shape[1]):
                dx[n, i] += grad[n, o] * w[o, i]
                dw[o, i] += grad[n, o] * x[n, i]
    return dx, dw, db


def relu_forward(x):
    """y = max(x, 0), element by element. Fast version: :func:`scratchcnn.ops.activation.relu_forward`."""
    y = np.zeros_like(x)
    for i in range(x.size):          # every element, in the flat (row-major) order
        y.flat[i] = x.flat[i] if x.flat[i] > 0 else 0.0
    return y


def relu_backward(grad, x):
    """dx = grad where x > 0, else 0 (PyTorch's choice at x = 0)."""
    dx = np.zeros_like(x)
    for i in range(x.size):
        dx.flat[i] = grad.flat[i] if x.flat[i] > 0 else 0.0
    return dx


# --------------------------------------------------------------------- softmax + cross-entropy
def softmax_cross_entropy_forward(logits, labels):
    """Mean over the batch of -log p[n, y_n], p[n, k] = exp(z[n, k]) / sum_j exp(z[n, j])
    (the largest logit subtracted first, so exp never overflows). Returns (loss, p).
    Fast version: :func:`scratchcnn.ops.softmax.log_softmax_forward`, then
    :func:`scratchcnn.ops.loss.nll_loss_forward`."""
    n_batch, n_classes = logits.shape
    p = np.zeros_like(logits)
    total = 0.0
    for n in range(n_batch):
        largest = max(logits[n, k] for k in range(n_classes))
        exps = [np.exp(logits[n, k] - largest) for k in range(n_classes)]
        norm = sum(exps)
        for k in range(n_classes):
            p[n, k] = exps[k] / norm
        total += -np.log(p[n, labels[n]])
    return total / n_batch, p


def softmax_cross_entropy_backward(p, labels):
    """dL/dz = (p - y) / N, y the one-hot labels: the famous "prediction minus truth"."""
    n_batch, n_classes = p.shape
    dz = np.zeros_like(p)
    for n in range(n_batch):
        for k in range(n_classes):
            y = 1.0 if k == labels[n] else 0.0
            dz[n, k] = (p[n, k] - y) / n_batch
    return dz
