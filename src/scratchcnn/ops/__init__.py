"""The ops: each a pair of pure functions on arrays, forward and backward side by side.

``op_forward(*arrays, **params) -> (out, cache)`` computes the result and keeps what the
backward pass needs; ``op_backward(grad_out, cache, needs_grad)`` returns one gradient
per array input (None where ``needs_grad`` says it is not wanted). Nothing here knows
about Tensors or graphs: :func:`scratchcnn.autograd.apply` connects them.
"""
