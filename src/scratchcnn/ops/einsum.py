"""Einstein summation, forward and backward.

Equations: ``out[o] = sum over the other indices of prod_k x_k[s_k]`` for subscripts
``s_1,...,s_n->o``. The gradient with respect to operand ``k`` is the same kind of sum
with ``k`` left out and the output's gradient put in its place::

    dL/dx_k[s_k] = einsum(o, s_1, ..., (without s_k), ... -> s_k)(dL/dout, x_1, ...)

An index of ``s_k`` that appears nowhere else was summed away in the forward pass: its
gradient is the same at every position (a broadcast). Shapes: any, as NumPy's einsum.

>>> import numpy as np
>>> a, b = np.ones((2, 3)), np.ones((3, 4))
>>> out, cache = einsum_forward(a, b, equation="ij,jk->ik")
>>> [g.shape for g in einsum_backward(np.ones((2, 4)), cache, (True, True))]
[(2, 3), (3, 4)]
"""

import string

import numpy as np

from ..errors import ArgumentError


def parse(equation, shapes):
    """``(input subscripts, output subscripts)`` of ``equation`` with ``...`` spelled out
    as letters and an implicit output made explicit (NumPy's rules)."""
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ArgumentError(f"einsum(): the equation {equation!r} names {len(terms)} operands, "
                            f"got {len(shapes)}")
    used = set(equation) - set(".,->")
    spare = [c for c in string.ascii_letters if c not in used]
    ellipsis_rank = max((len(shape) - len(term.replace("...", "")) for term, shape in
                         zip(terms, shapes) if "..." in term), default=0)
    filler = "".join(spare[:ellipsis_rank])
    expanded = []
    for term, shape in zip(terms, shapes):
        if "..." in term:
            rank = len(shape) - len(term.replace("...", ""))
            term = term.replace("...", filler[ellipsis_rank - rank:])
        if len(term) != len(shape):
            raise ArgumentError(f"einsum(): subscripts {term!r} do not match an operand of "
                                f"shape {tuple(shape)}")
        expanded.append(term)
    if arrow:
        output = output.replace("...", filler)
    else:   # implicit: the indices used once, in alphabetical order, after the ellipsis
        counts = {c: sum(t.count(c) for t in expanded) for c in set("".join(expanded))}
        output = filler + "".join(sorted(c for c, n in counts.items() if n == 1
                                         and c not in filler))
    return expanded, output


def einsum_forward(*operands, equation):
    terms, output = parse(equation, [a.shape for a in operands])
    spec = ",".join(terms) + "->" + output
    out = np.einsum(spec, *operands, optimize=len(operands) > 2)
    return np.asarray(out), (terms, output, operands)


def einsum_backward(grad, cache, needs_grad):
    terms, output, operands = cache
    grads = []
    for k, needed in enumerate(needs_grad):
        if not needed:
            grads.append(None)
            continue
        term = terms[k]
        if len(set(term)) != len(term):
            raise ArgumentError(f"einsum(): the gradient of an operand with a repeated index "
                                f"({term!r}, a diagonal) is not supported")
        others = [t for i, t in enumerate(terms) if i != k]
        present = set(output).union(*others) if others else set(output)
        kept = "".join(c for c in term if c in present)
        spec = ",".join([output] + others) + "->" + kept
        partial = np.einsum(spec, grad, *[a for i, a in enumerate(operands) if i != k],
                            optimize=len(operands) > 2)
        # indices summed away in the forward pass: the gradient is the same along them
        partial = np.reshape(partial, [operands[k].shape[term.index(c)] if c in kept else 1
                                       for c in term])
        grads.append(np.ascontiguousarray(np.broadcast_to(partial, operands[k].shape))
                     .astype(operands[k].dtype, copy=False))
    return tuple(grads)
