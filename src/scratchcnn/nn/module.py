"""``Module``: the base class of layers and models, with PyTorch's registration rules.

Assigning a :class:`Parameter` or a :class:`Module` to an attribute registers it, so
``parameters()``, ``state_dict()``, ``train()``/``eval()`` and ``zero_grad()`` find it
without any bookkeeping by the model's author::

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3)      # registered as "conv"
        def forward(self, x):
            return self.conv(x)
"""

import collections
import itertools

import numpy as np

from ..device import check_device
from ..errors import DTypeError, ScratchCNNError, StateDictError
from ..tensor import Tensor, _to_arguments


class Parameter(Tensor):
    """A Tensor that a Module owns and an optimizer updates (``requires_grad`` by default)."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        array = data._array if isinstance(data, Tensor) else np.asarray(data)
        super().__init__(array, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class RemovableHandle:
    """Returned by ``register_forward_hook``; ``.remove()`` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks):
        self.hooks = hooks
        self.id = next(self._ids)

    def remove(self):
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Module:
    """Base class for all layers and models. Subclasses define ``forward``."""

    def __init__(self):
        object.__setattr__(self, "_parameters", collections.OrderedDict())
        object.__setattr__(self, "_buffers", collections.OrderedDict())
        object.__setattr__(self, "_modules", collections.OrderedDict())
        object.__setattr__(self, "_forward_hooks", collections.OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", collections.OrderedDict())
        object.__setattr__(self, "training", True)

    # ----------------------------------------------------------------- registration
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() call "
                                 f"(call super().__init__() first in {type(self).__name__})")
        if name in self._buffers and (value is None or (isinstance(value, Tensor) and
                                                        not isinstance(value, Parameter))):
            self._buffers[name] = value   # updating a buffer keeps it registered
            return
        target = (self._parameters if isinstance(value, Parameter) else
                  self._modules if isinstance(value, Module) else None)
        for registry in (self._parameters, self._modules, self._buffers):
            if registry is not target:  # replacing in place keeps the order, as in PyTorch
                registry.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
            self.__dict__.pop(name, None)
        elif isinstance(value, Module):
            self._modules[name] = value
            self.__dict__.pop(name, None)
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):  # only called when normal lookup fails
        for registry in ("_parameters", "_modules", "_buffers"):
            entries = self.__dict__.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        for registry in (self._parameters, self._modules, self._buffers):
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        if param is None:
            self._parameters[name] = None
        else:
            setattr(self, name, param)

    def register_buffer(self, name, array):
        """A non-trainable array saved in ``state_dict`` (e.g. running statistics)."""
        self._buffers[name] = array if isinstance(array, Tensor) or array is None \
            else Tensor(np.asarray(array))

    def add_module(self, name, module):
        self._modules[name] = module

    # ----------------------------------------------------------------- calling
    def forward(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} defines no forward(); subclasses of "
                        "nn.Module must implement it")

    def __call__(self, *args, **kwargs):
        for hook in tuple(self._forward_pre_hooks.values()):
            changed = hook(self, args)
            if changed is not None:
                args = changed if isinstance(changed, tuple) else (changed,)
        try:
            output = self.forward(*args, **kwargs)
        except ScratchCNNError as error:
            error.module_stack.append(self)  # lets the message name the failing layer
            raise
        for hook in tuple(self._forward_hooks.values()):
            changed = hook(self, args, output)
            if changed is not None:
                output = changed
        return output

    def register_forward_hook(self, hook):
        """Call ``hook(module, inputs, output)`` after every forward; returns a handle."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    def register_forward_pre_hook(self, hook):
        """Call ``hook(module, inputs)`` before every forward; returns a handle."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    # ----------------------------------------------------------------- traversal
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted name, module) pairs, this module first; a module registered twice is
        listed once unless ``remove_duplicate=False`` (as ``state_dict`` needs)."""
        memo = set() if memo is None else memo
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                                remove_duplicate)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def named_parameters(self, prefix="", recurse=True):
        """(dotted name, Parameter) pairs; a parameter shared by two modules appears once."""
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, param in module._parameters.items():
                if param is None or id(param) in seen:
                    continue
                seen.add(id(param))
                yield (f"{module_prefix}.{name}" if module_prefix else name), param

    def parameters(self, recurse=True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self):
        for module_prefix, module in self.named_modules():
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    yield (f"{module_prefix}.{name}" if module_prefix else name), buffer

    def buffers(self):
        for _, buffer in self.named_buffers():
            yield buffer

    # ----------------------------------------------------------------- modes and grads
    def train(self, mode=True):
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for param in self.parameters():
            if param.grad is not None:
                param.grad = None if set_to_none else Tensor(np.zeros_like(param._array))

    def to(self, *args, **kwargs):
        """Convert every parameter and floating buffer, in place: ``to(dtype)``,
        ``to(device)``, ``to(device, dtype)``, ``to(tensor)`` as in PyTorch. Only the CPU
        exists here: another device raises :class:`~scratchcnn.errors.DeviceError`."""
        dtype, _ = _to_arguments(args, kwargs, f"{type(self).__name__}.to()")
        if dtype is None:
            return self
        if dtype.kind != "f":
            raise DTypeError(f"{type(self).__name__}.to() only accepts floating point "
                             f"dtypes, but got desired dtype={dtype}")
        for tensor in itertools.chain(self.parameters(), self.buffers()):
            if tensor.dtype.kind == "f":
                tensor._array = tensor._array.astype(dtype)
                if tensor.grad is not None:
                    tensor.grad = Tensor(tensor.grad._array.astype(dtype))
        return self

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def half(self):
        return self.to(np.float16)

    def type(self, dst_type):
        return self.to(dst_type)

    def cpu(self):
        return self

    def cuda(self, device=None):
        check_device("cuda" if device is None else device, f"{type(self).__name__}.cuda()")

    # ----------------------------------------------------------------- state
    def state_dict(self):
        """Ordered ``name -> numpy array`` (copies) of every parameter and buffer."""
        state = collections.OrderedDict()
        # Like PyTorch, a shared submodule is saved under each of its names.
        for module_prefix, module in self.named_modules(remove_duplicate=False):
            entries = itertools.chain(module._parameters.items(), module._buffers.items())
            for name, tensor in entries:
                if tensor is not None:
                    key = f"{module_prefix}.{name}" if module_prefix else name
                    state[key] = tensor._array.copy()
        return state

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays (NumPy, Tensors, or anything with ``.numpy()``) into the parameters.

        Raises :class:`StateDictError` listing every missing, unexpected or wrongly
        shaped entry (missing/unexpected only when ``strict``). Returns
        ``(missing_keys, unexpected_keys)``.
        """
        own = collections.OrderedDict()
        for module_prefix, module in self.named_modules(remove_duplicate=False):
            for registry in (module._parameters, module._buffers):
                for name, tensor in registry.items():
                    if tensor is not None:
                        own[f"{module_prefix}.{name}" if module_prefix else name] = tensor
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        arrays, problems = {}, []
        for key, tensor in own.items():
            if key not in state_dict:
                continue
            array = _as_array(state_dict[key])
            if array.shape != tensor.shape:
                problems.append(f"size mismatch for {key}: copying a param with shape "
                                f"{array.shape}, the shape in the current model is {tensor.shape}")
            arrays[key] = array
        if strict:
            if missing:
                problems.insert(0, "missing keys: " + ", ".join(missing))
            if unexpected:
                problems.insert(0 if not missing else 1, "unexpected keys: " + ", ".join(unexpected))
        if problems:
            raise StateDictError(f"error(s) in loading state_dict for {type(self).__name__}:\n\t"
                                 + "\n\t".join(problems))
        for key, array in arrays.items():
            tensor = own[key]
            tensor._array = array.astype(tensor.dtype, copy=True)
        return missing, unexpected

    # ----------------------------------------------------------------- shapes
    def output_shape(self, input_shape):
        """Shape of the output for an input of ``input_shape``, computed without data.

        The default runs ``forward`` on a zero array under ``no_grad``; layers with
        closed-form shape arithmetic override it.
        """
        from ..autograd import no_grad
        with no_grad():
            out = self(Tensor(np.zeros(tuple(input_shape), dtype=self.float_dtype())))
        return tuple(out.shape)

    def float_dtype(self):
        """The dtype of this module's floating parameters (float32 if it has none)."""
        return next((p.dtype for p in self.parameters() if p.dtype.kind == "f"),
                    np.dtype(np.float32))

    # ----------------------------------------------------------------- printing
    def extra_repr(self):
        """The arguments shown inside this module's ``repr``; layers override it."""
        return ""

    def __repr__(self):
        children = [f"({name}): " + repr(module).replace("\n", "\n  ")
                    for name, module in self._modules.items()]
        extra = self.extra_repr()
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = ([extra] if extra else []) + children
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._modules)
                      | set(self._buffers))


def _as_array(value):
    if isinstance(value, Tensor):
        return value._array
    # ok: duck-typed, so a torch.Tensor state dict loads without importing torch
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        return value.detach().cpu().numpy()
    return np.asarray(value)


class Sequential(Module):
    """Modules applied in order; indexable (``model[0]``, ``model[1:]``) and iterable.

    >>> from scratchcnn import nn
    >>> net = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    >>> net[0]
    Linear(in_features=4, out_features=3, bias=True)
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], collections.OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(collections.OrderedDict(list(self._modules.items())[index]))
        return modules[index]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def output_shape(self, input_shape):
        return chain_output_shape(self, self._modules.values(), input_shape)


class ModuleList(Module):
    """A list of modules, registered so their parameters are found."""

    def __init__(self, modules=None):
        super().__init__()
        for module in modules or ():
            self.append(module)

    def append(self, module):
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(modules[index])
        return modules[index]

    def __setitem__(self, index, module):
        key = list(self._modules)[index]
        self._modules[key] = module

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


def chain_output_shape(owner, modules, input_shape):
    """The output shape of ``owner``'s ``modules`` applied one after another, computed
    without data. An error names the failing layer's path, as in a forward pass."""
    shape = tuple(input_shape)
    for module in modules:
        try:
            shape = module.output_shape(shape)
        except ScratchCNNError as error:
            if not error.module_stack or error.module_stack[-1] is not module:
                error.module_stack.append(module)
            error.module_stack.append(owner)
            raise
    return shape
