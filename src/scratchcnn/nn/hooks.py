"""Forward hooks of :class:`~scratchcnn.nn.Module`, with PyTorch's calling rules.

``register_forward_pre_hook(hook)``: ``hook(module, args)`` runs before ``forward``; a
non-None result replaces the positional inputs (a non-tuple is wrapped in one). With
``with_kwargs=True`` it is ``hook(module, args, kwargs)`` and returns None or
``(args, kwargs)``.

``register_forward_hook(hook)``: ``hook(module, args, output)`` runs after ``forward``
(``hook(module, args, kwargs, output)`` with ``with_kwargs=True``); a non-None result
replaces the output. ``always_call=True`` also runs it, with output None, when forward
raised. ``prepend=True`` puts a hook before the others.
"""

import itertools

from ..errors import ArgumentError, ScratchCNNError


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods; ``.remove()`` unregisters the hook
    (also usable as a context manager)."""

    _ids = itertools.count()

    def __init__(self, hooks, *extra):
        self.hooks = hooks
        self.extra = extra   # sets that also hold this id (the with_kwargs flags)
        self.id = next(self._ids)

    def remove(self):
        self.hooks.pop(self.id, None)
        for registry in self.extra:
            registry.discard(self.id)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(hooks, hook_id, hook, prepend):
    """Store ``hook`` under ``hook_id``, first when ``prepend``."""
    hooks[hook_id] = hook
    if prepend:
        hooks.move_to_end(hook_id, last=False)


def call_with_hooks(module, args, kwargs):
    """``module.forward(*args, **kwargs)`` between ``module``'s pre-hooks and hooks."""
    for hook_id, hook in tuple(module._forward_pre_hooks.items()):
        if hook_id in module._forward_pre_hooks_with_kwargs:
            changed = hook(module, args, kwargs)
            if changed is not None:
                if not (isinstance(changed, tuple) and len(changed) == 2):
                    raise ArgumentError("forward pre-hook must return None or a tuple of "
                                        f"(new_args, new_kwargs), but got {changed!r}")
                args, kwargs = changed
        else:
            changed = hook(module, args)
            if changed is not None:
                args = changed if isinstance(changed, tuple) else (changed,)
    try:
        output = module.forward(*args, **kwargs)
    except ScratchCNNError as error:
        error.module_stack.append(module)  # lets the message name the failing layer
        _run_always_called_hooks(module, args, kwargs)
        raise
    except Exception:
        _run_always_called_hooks(module, args, kwargs)
        raise
    for hook_id, hook in tuple(module._forward_hooks.items()):
        if hook_id in module._forward_hooks_with_kwargs:
            changed = hook(module, args, kwargs, output)
        else:
            changed = hook(module, args, output)
        if changed is not None:
            output = changed
    return output


def _run_always_called_hooks(module, args, kwargs):
    """Forward hooks registered with ``always_call=True`` also run when forward raised
    (with output None), as in PyTorch; their own errors are not allowed to hide the
    original one."""
    for hook_id, hook in tuple(module._forward_hooks.items()):
        if hook_id in module._forward_hooks_always_called:
            try:
                if hook_id in module._forward_hooks_with_kwargs:
                    hook(module, args, kwargs, None)
                else:
                    hook(module, args, None)
            except Exception:   # ok: the forward error is the one to report
                pass
