"""Naive nested-loop reference implementations, used only by the tests.

These are written for readability, not speed (CS231n style): one loop per index,
every output element computed straight from its definition. They share no code
with :mod:`scratchcnn.ops`, so agreeing with them is independent evidence that the
vectorised kernels (strided windows, im2col, scatter) are right.

All functions take (N, C, H, W) NumPy arrays and pairs ``(h, w)`` for kernel size,
stride, padding and dilation, and return NumPy arrays of the input's dtype.
"""

import numpy as np


def out_size(size, kernel, stride, padding, dilation=1):
    """floor((size + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _pad(x, padding, value):
    ph, pw = padding
    n, c, h, w = x.shape
    padded = np.full((n, c, h + 2 * ph, w + 2 * pw), value, dtype=x.dtype)
    padded[:, :, ph:ph + h, pw:pw + w] = x
    return padded


def _unpad(padded, padding):
    ph, pw = padding
    return padded[:, :, ph:padded.shape[2] - ph, pw:padded.shape[3] - pw]


# --------------------------------------------------------------------- convolution
def conv2d_forward(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    """y[n, o, i, j] = b[o] + sum_{c,u,v} w[o, c, u, v] * xp[n, c, i*sh + u*dh, j*sw + v*dw]."""
    n_batch, channels, h, wd = x.shape
    out_channels, _, kh, kw = w.shape
    (sh, sw), (dh, dw) = stride, dilation
    oh = out_size(h, kh, sh, padding[0], dh)
    ow = out_size(wd, kw, sw, padding[1], dw)
    xp = _pad(x, padding, 0)
    y = np.zeros((n_batch, out_channels, oh, ow), dtype=x.dtype)
    for n in range(n_batch):
        for o in range(out_channels):
            for i in range(oh):
                for j in range(ow):
                    total = 0.0 if b is None else b[o]
                    for c in range(channels):
                        for u in range(kh):
                            for v in range(kw):
                                total += w[o, c, u, v] * xp[n, c, i * sh + u * dh, j * sw + v * dw]
                    y[n, o, i, j] = total
    return y


def conv2d_backward(grad, x, w, has_bias=True, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    """(dx, dw, db) for dL/dy = ``grad``: each output element sends grad * weight back to
    the input it read, and grad * input to the weight it used."""
    n_batch, channels, _, _ = x.shape
    out_channels, _, kh, kw = w.shape
    (sh, sw), (dh, dw_) = stride, dilation
    _, _, oh, ow = grad.shape
    xp = _pad(x, padding, 0)
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    db = np.zeros(out_channels, dtype=x.dtype) if has_bias else None
    for n in range(n_batch):
        for o in range(out_channels):
            for i in range(oh):
                for j in range(ow):
                    g = grad[n, o, i, j]
                    if has_bias:
                        db[o] += g
                    for c in range(channels):
                        for u in range(kh):
                            for v in range(kw):
                                r, s = i * sh + u * dh, j * sw + v * dw_
                                dw[o, c, u, v] += g * xp[n, c, r, s]
                                dxp[n, c, r, s] += g * w[o, c, u, v]
    return _unpad(dxp, padding), dw, db


# --------------------------------------------------------------------- max pooling
def max_pool2d_forward(x, kernel, stride, padding=(0, 0), dilation=(1, 1)):
    """Maximum over each window of the input padded with -inf."""
    return _max_pool(x, kernel, stride, padding, dilation)[0]


def max_pool2d_backward(grad, x, kernel, stride, padding=(0, 0), dilation=(1, 1)):
    """Each output's gradient goes to the first maximal element of its window (row-major)."""
    _, winners = _max_pool(x, kernel, stride, padding, dilation)
    xp = _pad(x, padding, -np.inf)
    dxp = np.zeros_like(xp)
    for (n, c, i, j), (r, s) in winners.items():
        dxp[n, c, r, s] += grad[n, c, i, j]
    return _unpad(dxp, padding)


def _max_pool(x, kernel, stride, padding, dilation):
    n_batch, channels, h, w = x.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    oh = out_size(h, kh, sh, padding[0], dh)
    ow = out_size(w, kw, sw, padding[1], dw)
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
                            value = xp[n, c, r, s]
                            if best is None or value > best:  # strict: the first max wins
                                best, where = value, (r, s)
                    y[n, c, i, j] = best
                    winners[n, c, i, j] = where
    return y, winners


# --------------------------------------------------------------------- average pooling
def _avg_divisor(i, j, kernel, stride, padding, size, count_include_pad):
    """kh*kw, or the number of window elements that fall inside the unpadded input."""
    (kh, kw), (sh, sw), (ph, pw), (h, w) = kernel, stride, padding, size
    if count_include_pad:
        return kh * kw
    count = 0
    for u in range(kh):
        for v in range(kw):
            r, s = i * sh + u - ph, j * sw + v - pw
            if 0 <= r < h and 0 <= s < w:
                count += 1
    return count


def avg_pool2d_forward(x, kernel, stride, padding=(0, 0), count_include_pad=True):
    n_batch, channels, h, w = x.shape
    (kh, kw), (sh, sw) = kernel, stride
    oh = out_size(h, kh, sh, padding[0])
    ow = out_size(w, kw, sw, padding[1])
    xp = _pad(x, padding, 0)
    y = np.zeros((n_batch, channels, oh, ow), dtype=x.dtype)
    for n in range(n_batch):
        for c in range(channels):
            for i in range(oh):
                for j in range(ow):
                    total = 0.0
                    for u in range(kh):
                        for v in range(kw):
                            total += xp[n, c, i * sh + u, j * sw + v]
                    divisor = _avg_divisor(i, j, kernel, stride, padding, (h, w),
                                           count_include_pad)
                    y[n, c, i, j] = total / divisor
    return y


def avg_pool2d_backward(grad, x, kernel, stride, padding=(0, 0), count_include_pad=True):
    n_batch, channels, h, w = x.shape
    (kh, kw), (sh, sw) = kernel, stride
    _, _, oh, ow = grad.shape
    dxp = np.zeros_like(_pad(x, padding, 0))
    for n in range(n_batch):
        for c in range(channels):
            for i in range(oh):
                for j in range(ow):
                    divisor = _avg_divisor(i, j, kernel, stride, padding, (h, w),
                                           count_include_pad)
                    for u in range(kh):
                        for v in range(kw):
                            dxp[n, c, i * sh + u, j * sw + v] += grad[n, c, i, j] / divisor
    return _unpad(dxp, padding)
