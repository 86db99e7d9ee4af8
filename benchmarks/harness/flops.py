"""Nominal work of each benchmark case, in floating-point operations (FLOPs).

One multiply-add (MAC) counts as 2 FLOPs. For a convolution with input (N, C, H, W),
weight (O, C, k, k), stride s, padding p and output (N, O, OH, OW)::

    OH, OW      = scratchcnn.shapes.conv_output_size((H, W), k, s, p, d)   (d: dilation, 1
                  unless the spec has a ninth entry)
    forward MACs = N * O * OH * OW * C * k * k
    forward      = 2 * MACs
    fwd + bwd    = 3 * forward           (dL/dx and dL/dw are each one product of that size;
                                          the bias is ignored)

As im2col GEMMs, with K = C*k*k and M = N*OH*OW, those three products are
(O x K) @ (K x M), (dL/dw)^T = (K x M) @ (M x O), and dL/dcols = (K x O) @ (O x M).

A training step (forward, backward, optimizer) of a model costs, from
:func:`scratchcnn.summary`'s per-layer MACs::

    step FLOPs = 2 * (3 * forward MACs - MACs of the first layer)

(every layer's backward costs two forwards, dL/dinput and dL/dweight, except the
first layer's dL/dinput, which nobody computes: the input needs no gradient).
Pooling, activations, the loss and the optimizer update count as 0. This is the
nominal count of direct / im2col convolution; a library that uses a cheaper
algorithm (Winograd, FFT) does fewer real operations, so read GFLOP/s as effective
throughput.

>>> conv_macs((1, 3, 227, 227, 96, 11, 4, 0))          # AlexNet conv1, one image
105415200
>>> conv_flops((1, 3, 227, 227, 96, 11, 4, 0), backward=True) == 6 * 105415200
True
>>> gemm_flops(2048, 2048, 2048)
17179869184
>>> conv_gemm_shapes((1, 32, 14, 14, 64, 3, 1, 1))     # (rows, inner, columns)
[(64, 288, 196), (288, 196, 64), (288, 64, 196)]
"""

from scratchcnn.shapes import conv_output_size   # absolute: the --src tree's, in a child


def conv_output_hw(spec):
    """(OH, OW) of a conv/pool spec (N, C, H, W, O, k, s, p[, dilation]); O is ignored.
    The formula's one home is :mod:`scratchcnn.shapes`."""
    _, _, h, w, _, k, s, p, *rest = spec
    return conv_output_size((h, w), k, s, p, rest[0] if rest else 1)


def conv_macs(spec):
    """Multiply-adds of one forward pass: N * O * OH * OW * C * k * k."""
    n, c, _, _, o, k = spec[:6]
    oh, ow = conv_output_hw(spec)
    return n * o * oh * ow * c * k * k


def conv_flops(spec, backward=False):
    """2 * MACs for the forward pass; 3 times that with the backward (dL/dx, dL/dw)."""
    return 2 * conv_macs(spec) * (3 if backward else 1)


def gemm_flops(m, k, n):
    """An (m x k) @ (k x n) product: 2 * m * k * n."""
    return 2 * m * k * n


def conv_gemm_shapes(spec):
    """The three im2col GEMMs (m, k, n) of a conv's forward + backward: forward
    (O x K) @ (K x M), dL/dw^T (K x M) @ (M x O), dL/dcols (K x O) @ (O x M)."""
    n, c, _, _, o, k = spec[:6]
    oh, ow = conv_output_hw(spec)
    kk, m = c * k * k, n * oh * ow
    return [(o, kk, m), (kk, m, o), (kk, o, m)]


def step_flops(model, input_shape):
    """FLOPs of one training step of ``model`` on a batch of ``input_shape`` (N, C, H, W):
    2 * (3 * forward MACs - first layer's MACs), the MACs from :func:`scratchcnn.summary`
    (computed at batch 1, then times N: MACs are linear in the batch)."""
    from scratchcnn.summary import summary   # absolute: the --src tree's, in a child

    n, rest = input_shape[0], tuple(input_shape[1:])
    macs = [row["macs"] for row in summary(model, (1,) + rest).rows if row["macs"]]
    return 2 * n * (3 * sum(macs) - (macs[0] if macs else 0))
