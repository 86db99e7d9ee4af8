"""``state_dict`` / ``load_state_dict`` for :class:`~scratchcnn.nn.Module`.

Module delegates here so that module.py stays about registration and calling. The
functions only read a module's ``named_modules`` and its ``_parameters`` / ``_buffers``
registries (duck-typed), so this file imports nothing from module.py.

Values are NumPy copies, not Tensors as in PyTorch: the checkpoint format, the
training loop, ``interop`` and the worked example all read them as arrays, and a copy
cannot be changed by accident through the dict. ``keep_vars=True`` returns the live
Parameters and buffers, as in PyTorch.
"""

import collections

import numpy as np

from ..errors import DTypeError, StateDictError
from ..tensor import Tensor

IncompatibleKeys = collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])
IncompatibleKeys.__doc__ = """What ``load_state_dict`` returns, as torch's ``_IncompatibleKeys``:
the model's keys the dict lacked, and the dict's keys the model does not have."""


def _join(prefix, name):
    return f"{prefix}.{name}" if prefix else name


def state_entries(module, prefix=""):
    """``{prefix + dotted name: (owner module, registry name, local name, tensor)}`` of
    every parameter and persistent buffer (``prefix`` ends with "." as in PyTorch), in PyTorch's order (a shared submodule under each
    of its names)."""
    entries = collections.OrderedDict()
    for module_prefix, owner in module.named_modules(remove_duplicate=False):
        for name, tensor in owner._parameters.items():
            if tensor is not None:
                entries[prefix + _join(module_prefix, name)] = (owner, "_parameters", name,
                                                                 tensor)
        skip = owner.__dict__.get("_non_persistent_buffers_set", ())
        for name, tensor in owner._buffers.items():
            if tensor is not None and name not in skip:
                entries[prefix + _join(module_prefix, name)] = (owner, "_buffers", name, tensor)
    return entries


def state_dict(module, destination=None, prefix="", keep_vars=False):
    """Ordered ``name -> array`` (copies; the Tensors themselves when ``keep_vars``)."""
    state = collections.OrderedDict() if destination is None else destination
    for key, (_, _, _, tensor) in state_entries(module, prefix).items():
        state[key] = tensor if keep_vars else tensor._array.copy()
    return state


def as_array(value, key):
    """A state-dict value (NumPy array, scratchcnn or torch Tensor, nested list, number)
    as a NumPy array of numbers; anything else raises :class:`DTypeError` naming ``key``."""
    if isinstance(value, Tensor):
        array = value._array
    # ok: duck-typed, so a torch.Tensor state dict loads without importing torch
    elif hasattr(value, "detach") and hasattr(value, "numpy"):
        array = value.detach().cpu().numpy()
    else:
        try:
            array = np.asarray(value)
        except (TypeError, ValueError) as error:
            raise DTypeError(f"state_dict entry {key!r} is not an array of numbers "
                             f"({type(value).__name__}: {error})") from None
    if array.dtype.kind not in "biuf":
        what = {"c": "complex", "O": "Python objects", "U": "strings", "S": "bytes"}.get(
            array.dtype.kind, str(array.dtype))
        raise DTypeError(f"state_dict entry {key!r} holds {what} (dtype {array.dtype}); "
                         "expected real numbers (bool, integer or floating point)")
    return array


def load_state_dict(module, state, strict=True, assign=False):
    """Check every entry of ``state`` first, then copy them all into ``module``'s
    parameters and buffers (nothing is changed when any check fails).

    Raises :class:`StateDictError` listing every missing or unexpected key (when
    ``strict``) and every wrongly shaped entry (always); :class:`DTypeError` for an
    entry that is not an array of real numbers. Returns :data:`IncompatibleKeys`.
    ``assign=True`` makes each parameter/buffer the loaded array itself (its dtype kept),
    instead of copying the values into the existing memory.
    """
    if not isinstance(state, collections.abc.Mapping):
        raise TypeError(f"Expected state_dict to be dict-like, got {type(state).__name__}.")
    own = state_entries(module)
    missing = [key for key in own if key not in state]
    unexpected = [key for key in state if key not in own]
    arrays, problems = {}, []
    for key, (_, _, _, tensor) in own.items():
        if key not in state:
            continue
        array = as_array(state[key], key)
        if array.shape != tensor.shape:
            problems.append(f"size mismatch for {key}: copying a param with shape "
                            f"{array.shape}, the shape in the current model is {tensor.shape}")
        arrays[key] = array
    if strict:   # torch's wording is "Missing key(s) in state_dict: ..."; same content
        if unexpected:
            problems.insert(0, "unexpected keys: " + ", ".join(unexpected))
        if missing:
            problems.insert(0, "missing keys: " + ", ".join(missing))
    if problems:
        raise StateDictError(f"error(s) in loading state_dict for {type(module).__name__}:\n\t"
                             + "\n\t".join(problems))
    for key, array in arrays.items():
        owner, registry, name, tensor = own[key]
        if assign:
            _assign(owner, registry, name, tensor, state[key], array)
        elif tensor._array.flags.writeable:
            np.copyto(tensor._array, array, casting="unsafe")   # in place, as param.copy_()
            tensor._vc[0] += 1
        else:
            tensor._array = array.astype(tensor.dtype, copy=True)
    return IncompatibleKeys(missing, unexpected)


def _assign(owner, registry, name, old, value, array):
    """PyTorch's ``assign=True``: the loaded value becomes the parameter/buffer (sharing
    its memory when it is an array or Tensor), keeping the old ``requires_grad``."""
    if registry == "_parameters":
        new = type(old)(array, requires_grad=old.requires_grad and array.dtype.kind == "f")
    else:
        new = value if isinstance(value, Tensor) else Tensor(array)
    getattr(owner, registry)[name] = new
