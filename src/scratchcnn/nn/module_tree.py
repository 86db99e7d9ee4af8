"""Walking a :class:`~scratchcnn.nn.Module`'s tree: its submodules, parameters and buffers
by dotted name, and looking one up by its path. A mixin of ``Module``; it only reads the
``_modules``, ``_parameters`` and ``_buffers`` registries, so it imports nothing from
module.py."""


class TreeMethods:
    """``named_modules``, ``children``, ``named_parameters``, ``buffers``, ``apply``,
    ``get_submodule`` and their kin, as in PyTorch."""

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted name, module) pairs, this module first; a module registered twice is
        listed once unless ``remove_duplicate=False`` (as ``state_dict`` needs)."""
        memo = set() if memo is None else memo
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                                remove_duplicate)

    def modules(self):
        """Every module of the tree, this one first (see :meth:`named_modules`)."""
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """(name, module) of the direct children, each module once."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self):
        """The direct children, each once."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry, prefix, recurse, remove_duplicate):
        seen = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Parameter) pairs; a parameter shared by two modules appears once
        (under each name with ``remove_duplicate=False``)."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """Every Parameter of this module (and its submodules, with ``recurse``), once."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, buffer Tensor) pairs, persistent or not."""
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """Every buffer Tensor of this module (and its submodules, with ``recurse``)."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn):
        """Call ``fn`` on every submodule (children first, recursively) and then on this
        module, as ``model.apply(init_weights)``; returns this module."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def get_submodule(self, target):
        """The submodule at dotted path ``target`` (``""`` is this module)."""
        module = self
        for i, item in enumerate(target.split(".") if target else ()):
            if item not in module.__dict__["_modules"] or module._modules[item] is None:
                path = ".".join(target.split(".")[:i])
                raise AttributeError(f"{module._get_name()}{' at ' + path if path else ''} "
                                     f"has no attribute `{item}`")
            module = module._modules[item]
        return module

    def get_parameter(self, target):
        """The Parameter at dotted path ``target`` (e.g. ``"0.weight"``)."""
        return self._get_entry(target, "_parameters", "nn.Parameter")

    def get_buffer(self, target):
        """The buffer at dotted path ``target``."""
        return self._get_entry(target, "_buffers", "buffer")

    def _get_entry(self, target, registry, what):
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        if name not in getattr(module, registry):
            raise AttributeError(f"`{name}` is not an {what}")
        return getattr(module, registry)[name]
