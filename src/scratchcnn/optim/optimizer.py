"""``Optimizer``: parameter groups, per-parameter state, and saving both, as in PyTorch."""

import copy

import numpy as np

from ..errors import ArgumentError, StateDictError
from ..tensor import Tensor


class Optimizer:
    """Base class. Subclasses set ``defaults`` and implement ``_update(param, grad, group, state)``."""

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}  # id(param) -> dict of arrays and counters
        self.param_groups = []
        params = list(params)
        if not params:
            raise ArgumentError(f"{type(self).__name__} got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group):
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for param in group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors, got "
                                f"{type(param).__name__}")
            if not param.is_leaf:
                raise ArgumentError(f"{type(self).__name__} can't optimize a non-leaf Tensor")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_hyperparameters(group)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ArgumentError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def _check_hyperparameters(self, group):
        if group["lr"] < 0:
            raise ArgumentError(f"invalid learning rate: {group['lr']} (must be >= 0)",
                                f"{type(self).__name__}()")

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    param.grad = None if set_to_none else Tensor(np.zeros_like(param._array))

    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure`` re-computes the loss."""
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state.setdefault(id(param), {})
                self._update(param, param.grad._array, group, state)
        return loss

    def _update(self, param, grad, group, state):
        raise TypeError(f"{type(self).__name__} must implement _update()")

    # ----------------------------------------------------------------- saving
    def _all_params(self):
        return [p for group in self.param_groups for p in group["params"]]

    def state_dict(self):
        """``{"state": {index: {name: array or number}}, "param_groups": [...]}``: parameters
        are referred to by their position over all groups, as in PyTorch."""
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
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                len(saved["params"]) != len(own["params"])
                for saved, own in zip(groups, self.param_groups)):
            raise StateDictError(
                "loaded optimizer state has "
                f"{[len(g['params']) for g in groups]} parameters per group, this optimizer "
                f"has {[len(g['params']) for g in self.param_groups]}")
        params = self._all_params()
        self.state = {}
        for key, value in state_dict["state"].items():
            param = params[int(key)]
            restored = {}
            for name, item in value.items():
                if isinstance(item, np.ndarray) and item.shape == param.shape:
                    item = item.astype(param.dtype, copy=True)
                elif isinstance(item, np.ndarray) and item.ndim == 0:
                    item = item.item()
                restored[name] = item
            self.state[id(param)] = restored
        for saved, own in zip(groups, self.param_groups):
            for key, value in saved.items():
                if key != "params":
                    own[key] = value

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])
