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

The containers (``Sequential``, ``ModuleList``, ...) are in :mod:`.container`, the
state-dict logic in :mod:`.state`, the forward hooks in :mod:`.hooks`, walking the tree
(``named_modules``, ``parameters``, ``get_submodule``) in :mod:`.module_tree`, and modes,
dtypes and devices (``train``, ``zero_grad``, ``to``) in :mod:`.module_convert`.
"""

import collections

import numpy as np

from ..errors import ArgumentError, ScratchCNNError
from ..tensor import Tensor
from . import state as _state
from .hooks import RemovableHandle, add_hook, call_with_hooks
from .module_convert import ConvertMethods
from .module_tree import TreeMethods
from .parameter import Parameter

__all__ = ["Module", "Parameter", "RemovableHandle", "chain_output_shape"]


def _check_name(name, kind, module, exists_ok):
    """PyTorch's checks on the name given to register_parameter/buffer/add_module."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if not exists_ok(name) and hasattr(module, name):
        raise KeyError(f"attribute '{name}' already exists")


class Module(TreeMethods, ConvertMethods):
    """Base class for all layers and models. Subclasses define ``forward``."""

    def __init__(self):
        setup = {
            "training": True,
            "_parameters": collections.OrderedDict(), "_buffers": collections.OrderedDict(),
            "_non_persistent_buffers_set": set(), "_modules": collections.OrderedDict(),
            "_forward_hooks": collections.OrderedDict(), "_forward_hooks_with_kwargs": set(),
            "_forward_hooks_always_called": set(),
            "_forward_pre_hooks": collections.OrderedDict(),
            "_forward_pre_hooks_with_kwargs": set(),
        }
        for name, value in setup.items():
            object.__setattr__(self, name, value)

    # ----------------------------------------------------------------- registration
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() call "
                                 f"(call super().__init__() first in {type(self).__name__})")
        if name in self._parameters and not isinstance(value, Parameter):
            if value is not None:   # a plain Tensor would silently drop out of parameters()
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter "
                                f"'{name}' (nn.Parameter or None expected)")
            self._parameters[name] = None
            return
        if name in self._buffers and (value is None or (isinstance(value, Tensor) and
                                                        not isinstance(value, Parameter))):
            self._buffers[name] = value   # updating a buffer keeps it registered
            return
        target = (self._parameters if isinstance(value, Parameter) else
                  self._modules if isinstance(value, Module) else None)
        for registry in (self._parameters, self._modules, self._buffers):
            if registry is not target:  # replacing in place keeps the order, as in PyTorch
                registry.pop(name, None)
        self._non_persistent_buffers_set.discard(name)
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
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Register ``param`` (a :class:`Parameter`, or None for an absent one such as
        ``bias=False``) under ``name``."""
        _check_name(name, "parameter", self, lambda n: n in self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (nn.Parameter or None required)")
        if param is not None and param._node is not None:
            raise ArgumentError(f"cannot assign non-leaf Tensor to parameter '{name}'. Model "
                                "parameters must be created explicitly; to express it as a "
                                "function of another Tensor, compute the value in forward()")
        if param is None:
            self._parameters[name] = None
        else:
            setattr(self, name, param)

    def register_buffer(self, name, tensor, persistent=True):
        """A non-trainable Tensor (e.g. running statistics), saved in ``state_dict``
        unless ``persistent=False``. NumPy arrays are wrapped (shared, not copied)."""
        _check_name(name, "buffer", self, lambda n: n in self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            if not isinstance(tensor, np.ndarray):
                raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                                f"'{name}' (Tensor or None required)")
            tensor = Tensor(tensor)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Register ``module`` (or None) as the child ``name``."""
        _check_name(name, "module", self, lambda n: n in self._modules)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._modules[name] = module

    def register_module(self, name, module):
        """Alias of :meth:`add_module`."""
        self.add_module(name, module)

    def _get_name(self):
        return type(self).__name__

    # ----------------------------------------------------------------- calling
    def forward(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} defines no forward(); subclasses of "
                        "nn.Module must implement it")

    def __call__(self, *args, **kwargs):
        """Run ``forward`` between the registered pre-hooks and hooks (see :mod:`.hooks`)."""
        return call_with_hooks(self, args, kwargs)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False,
                              always_call=False):
        """Call ``hook(module, args, output)`` after every forward (``hook(module, args,
        kwargs, output)`` with ``with_kwargs=True``); a non-None result replaces the
        output. Returns a :class:`RemovableHandle`."""
        handle = RemovableHandle(self._forward_hooks, self._forward_hooks_with_kwargs,
                                 self._forward_hooks_always_called)
        add_hook(self._forward_hooks, handle.id, hook, prepend)
        if with_kwargs:
            self._forward_hooks_with_kwargs.add(handle.id)
        if always_call:
            self._forward_hooks_always_called.add(handle.id)
        return handle

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args)`` before every forward (``hook(module, args, kwargs)``
        with ``with_kwargs=True``, returning None or ``(args, kwargs)``); a non-None result
        replaces the inputs. Returns a :class:`RemovableHandle`."""
        handle = RemovableHandle(self._forward_pre_hooks, self._forward_pre_hooks_with_kwargs)
        add_hook(self._forward_pre_hooks, handle.id, hook, prepend)
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs.add(handle.id)
        return handle

    # ----------------------------------------------------------------- state
    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """Ordered ``name -> numpy array`` (copies) of every parameter and persistent
        buffer, named as in PyTorch; ``keep_vars=True`` gives the Tensors themselves.

        (PyTorch returns detached Tensors; the arrays keep this library's checkpoint
        format and callers unchanged. ``sc.tensor(v)`` or ``torch.from_numpy(v)`` turn
        one into a Tensor.) Positional ``destination, prefix, keep_vars`` are accepted,
        as PyTorch still does.
        """
        if len(args) > 3:
            raise TypeError(f"state_dict() takes at most 3 positional arguments, got {len(args)}")
        destination, prefix, keep_vars = (args + (destination, prefix, keep_vars)[len(args):])
        return _state.state_dict(self, destination, prefix, keep_vars)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy arrays (NumPy, Tensors, or torch Tensors) into the parameters and buffers.

        Every entry is checked before anything is copied: one bad entry leaves the model
        untouched. Raises :class:`~scratchcnn.errors.StateDictError` listing every
        missing, unexpected (both only when ``strict``) or wrongly shaped entry, and
        :class:`~scratchcnn.errors.DTypeError` for strings, complex or object arrays.
        Returns ``IncompatibleKeys(missing_keys, unexpected_keys)``, a named tuple.
        """
        return _state.load_state_dict(self, state_dict, strict, assign)

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

    # ----------------------------------------------------------------- printing
    def extra_repr(self):
        """The arguments shown inside this module's ``repr``; layers override it."""
        return ""

    def __repr__(self):
        """PyTorch's layout: ``Name(extra)`` for a leaf, else one ``(name): child`` line
        per child (indented), after the lines of ``extra_repr``."""
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + add_indent(repr(module), 2)
                       for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        if not lines:
            return f"{self._get_name()}()"
        if len(extra_lines) == 1 and not child_lines:
            return f"{self._get_name()}({extra_lines[0]})"
        return f"{self._get_name()}(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._modules)
                      | set(self._buffers))


def add_indent(text, spaces):
    """Indent every line of ``text`` but the first by ``spaces`` (blank lines stay empty),
    as PyTorch's ``_addindent``."""
    first, *rest = text.split("\n")
    return "\n".join([first] + [" " * spaces + line if line.strip() else "" for line in rest])


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
