"""``Optimizer``: parameter groups, per-parameter state, and saving both, as in PyTorch."""

import copy

import numpy as np

from ..autograd import enable_grad
from ..errors import ArgumentError, StateDictError
from ..tensor import Tensor
from .checks import check_number


class ParamState(dict):
    """The optimizer's per-parameter state: ``id(param) -> {name: array or number}``.

    Indexing with the parameter itself also works (``optimizer.state[p]``, as in PyTorch):
    a Tensor key is turned into its ``id``."""

    @staticmethod
    def _key(key):
        return id(key) if isinstance(key, Tensor) else key

    def __getitem__(self, key):
        return super().__getitem__(self._key(key))

    def __setitem__(self, key, value):
        super().__setitem__(self._key(key), value)

    def __delitem__(self, key):
        super().__delitem__(self._key(key))

    def __contains__(self, key):
        return super().__contains__(self._key(key))

    def get(self, key, default=None):
        return super().get(self._key(key), default)

    def setdefault(self, key, default=None):
        return super().setdefault(self._key(key), default)

    def pop(self, key, *default):
        return super().pop(self._key(key), *default)


class Optimizer:
    """Base class. Subclasses set ``defaults``, may check a group's values in
    ``_check_hyperparameters(group)``, create a parameter's state on its first step in
    ``_init_state(param, group, state)`` and implement ``_update(param, grad, group, state)``
    (``grad`` is the gradient's NumPy array; the update writes ``param._array`` in place)."""

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = ParamState()
        self.param_groups = []
        if isinstance(params, Tensor) or not hasattr(params, "__iter__"):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        params = list(params)
        if not params:
            raise ArgumentError(f"{type(self).__name__} got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a group (``{"params": [...], option: value}``); options it leaves out take
        the optimizer's defaults. Parameters may be Tensors or ``(name, Tensor)`` pairs."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        if "params" not in group:
            raise ArgumentError("a parameter group needs a 'params' entry",
                                f"{type(self).__name__}.add_param_group()")
        params = group["params"]
        if isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered "
                            "collections, but the ordering of tensors in sets will change "
                            "between runs. Please use a list instead.")
        params = [params] if isinstance(params, Tensor) else list(params)
        if params and all(isinstance(p, tuple) and len(p) == 2 for p in params):
            group["param_names"] = [name for name, _ in params]
            params = [param for _, param in params]
        group["params"] = params
        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors, got "
                                f"{type(param).__name__}")
            if not param.is_leaf:
                raise ArgumentError(f"{type(self).__name__} can't optimize a non-leaf Tensor")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_hyperparameters(group)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ArgumentError("some parameters appear in more than one parameter group")
        if len({id(p) for p in params}) != len(params):
            raise ArgumentError("a parameter group holds the same parameter twice")
        self.param_groups.append(group)

    def _check_hyperparameters(self, group):
        """Refuse out-of-range or non-finite values in ``group`` (runs for every group)."""
        check_number(group["lr"], "lr", type(self).__name__)

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: ``param.grad = None`` (default) or zeroed in place."""
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if set_to_none:
                    param.grad = None
                else:   # in place, as PyTorch: a reference to the old .grad sees the zeros
                    param.grad._array[...] = 0

    def step(self, closure=None):
        """Update every parameter that has a gradient. ``closure`` (optional) re-computes
        the loss and its gradients; it runs with gradients enabled, and its loss is
        returned (None without a closure)."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state.setdefault(id(param), {})
                if not state:
                    self._init_state(param, group, state)
                self._update(param, param.grad._array, group, state)
        return loss

    def _init_state(self, param, group, state):
        """Fill a parameter's empty ``state`` before its first update (default: nothing)."""

    def _update(self, param, grad, group, state):
        raise TypeError(f"{type(self).__name__} must implement _update()")

    # ----------------------------------------------------------------- saving
    def _all_params(self):
        return [p for group in self.param_groups for p in group["params"]]

    def state_dict(self):
        """``{"state": {index: {name: array or number}}, "param_groups": [...]}``: parameters
        are referred to by their position over all groups, as in PyTorch. Only arrays,
        numbers, strings, tuples and lists: :func:`scratchcnn.save` writes it without pickle."""
        index = {id(p): i for i, p in enumerate(self._all_params())}
        state = {index[key]: {k: (v.copy() if isinstance(v, np.ndarray) else v)
                              for k, v in value.items()}
                 for key, value in self.state.items() if key in index}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore :meth:`state_dict`'s output (copied: later steps do not change it). The
        saved hyper-parameters replace the current ones, as in PyTorch."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                len(saved["params"]) != len(own["params"])
                for saved, own in zip(groups, self.param_groups)):
            raise StateDictError(
                "loaded optimizer state has "
                f"{[len(g['params']) for g in groups]} parameters per group, this optimizer "
                f"has {[len(g['params']) for g in self.param_groups]}")
        params = self._all_params()
        self.state = ParamState()
        for key, value in state_dict["state"].items():
            param = params[int(key)]
            restored = {}
            for name, item in value.items():
                if isinstance(item, np.ndarray) and item.shape == param.shape:
                    item = np.array(item, dtype=param.dtype, order="C", copy=True)
                elif isinstance(item, np.ndarray) and item.ndim == 0:
                    item = item.item()
                elif isinstance(item, Tensor):
                    item = np.array(item._array, dtype=param.dtype, order="C", copy=True)
                restored[name] = item
            self.state[id(param)] = restored
        for saved, own in zip(groups, self.param_groups):
            for key, value in saved.items():
                if key != "params":
                    own[key] = tuple(value) if key == "betas" else copy.deepcopy(value)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items())
                      if k not in ("params", "param_names")]
        return "\n".join(lines + [")"])
