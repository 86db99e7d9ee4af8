"""The speed layer: faster implementations of some ops in :mod:`scratchcnn.ops`.

Each function here has the signature of its twin in ``ops/`` and computes the same
thing (bit for bit where it only splits the work across threads, to float rounding
where it reorders a sum); it adds only the machinery that makes it fast. A reader can
skip this package and still know everything the library computes.

==================  ===========================================================
``parallel``        a large array pass split into blocks on several threads
``conv``            conv2d: threaded im2col/col2im copies, BLAS-friendly GEMM
                    orientations, ``cols`` rebuilt in backward for large layers
``conv_transpose``  the transposed convolution on those helpers
``pool``            max pooling as a running maximum, NaN routing; threaded
``activation``      ReLU in threaded blocks
``chunks``          optimizer updates over cache-sized chunks, across threads
==================  ===========================================================

The library reaches these only through :mod:`scratchcnn.dispatch`, which
``scratchcnn.backends`` switches: ``backends.kernels.enabled = False`` (or ``with
backends.kernels.flags(enabled=False):``) runs the plain ops everywhere, and
``backends.conv.algorithm = "im2col"`` the plain convolution. Nothing in ``ops/``
imports this package.
"""
