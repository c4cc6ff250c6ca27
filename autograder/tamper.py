"""Tamper detection inside the sandbox: did the submission replace the objects the tests rely on?

This is a hint, not a protection. Verdicts are decided by the grader on plain
data (see :mod:`autograder.checker`), so a submission that defeats this check
gains nothing but the chance to hide a forbidden built-in call; when it is
seen, the notebook's status becomes ``integrity`` and later tests earn nothing.
"""

from __future__ import annotations

import sys

__all__ = ["Guard"]

_WATCHED_MODULES = (
    "builtins", "math", "io", "contextlib", "warnings",
    "torch", "torch.nn", "torch.nn.functional", "torch.testing", "torch.autograd",
    "torch.utils._python_dispatch",
    "numpy", "numpy.testing", "numpy.linalg",
    "lmtrain", "lmtrain.checking", "lmtrain.loader",
)
_WATCHED_SYS = ("getprofile", "setprofile", "gettrace", "settrace", "modules")


def _watched_types():
    import numpy
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    return [torch.Tensor, torch._C.TensorBase, TorchDispatchMode, numpy.ndarray, torch.nn.Module, torch.nn.Parameter]


def _function_state(value):
    code = getattr(value, "__code__", None)
    if code is None:
        return None
    return (code, getattr(value, "__defaults__", None), getattr(value, "__kwdefaults__", None))


class Guard:
    """Identity snapshot of the objects the tests rely on, taken before student code runs."""

    def __init__(self):
        import importlib

        self.modules = {}
        for name in _WATCHED_MODULES:
            try:
                module = importlib.import_module(name)
            except Exception:  # noqa: BLE001 - an optional module
                continue
            self.modules[name] = (module, dict(vars(module)))
        self.types = [(cls, dict(vars(cls))) for cls in _watched_types()]
        self.functions = {}
        for _module, snapshot in self.modules.values():
            for value in snapshot.values():
                state = _function_state(value)
                if state is not None:
                    self.functions[id(value)] = (value, state)
        for _cls, snapshot in self.types:
            for value in snapshot.values():
                state = _function_state(value)
                if state is not None:
                    self.functions[id(value)] = (value, state)
        self.sys_attrs = {name: getattr(sys, name) for name in _WATCHED_SYS}
        # the table graded() reads is a dict: emptying it in place keeps every identity above
        self.forbidden = _forbidden_table()

    def check_and_restore(self) -> list[str]:
        """Names of watched objects that changed since the snapshot; all are put back."""
        changed = []
        for name, (module, snapshot) in self.modules.items():
            if sys.modules.get(name) is not module:
                changed.append(f"sys.modules[{name!r}]")
                sys.modules[name] = module
            current = vars(module)
            for key, value in snapshot.items():
                if current.get(key, _MISSING) is not value:
                    if key in ("__builtins__", "__loader__", "__spec__"):
                        continue
                    changed.append(f"{name}.{key}")
                    try:
                        setattr(module, key, value) if name != "builtins" else current.__setitem__(key, value)
                    except Exception:  # noqa: BLE001
                        pass
        for cls, snapshot in self.types:
            current = vars(cls)
            for key, value in snapshot.items():
                if current.get(key, _MISSING) is not value:
                    changed.append(f"{cls.__module__}.{cls.__qualname__}.{key}")
                    try:
                        setattr(cls, key, value)
                    except Exception:  # noqa: BLE001
                        pass
        for value, (code, defaults, kwdefaults) in self.functions.values():
            if _function_state(value) != (code, defaults, kwdefaults):
                changed.append(f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', '?')} (code)")
                try:
                    value.__code__, value.__defaults__, value.__kwdefaults__ = code, defaults, kwdefaults
                except Exception:  # noqa: BLE001
                    pass
        for name, value in self.sys_attrs.items():
            if getattr(sys, name) is not value:
                changed.append(f"sys.{name}")
                setattr(sys, name, value)
        table = _forbidden_table()
        if table != self.forbidden:
            changed.append("lmtrain.checking.FORBIDDEN_BUILTINS (contents)")
            live = self.modules.get("lmtrain.checking", (None, {}))[1].get("FORBIDDEN_BUILTINS")
            if isinstance(live, dict):
                live.clear()
                live.update({task: value for task, (value, _state) in self.forbidden.items()})
        return sorted(set(changed))


def _forbidden_table() -> dict:
    """task -> (its ForbiddenSet, the values of its fields), from lmtrain.checking."""
    checking = sys.modules.get("lmtrain.checking")
    table = getattr(checking, "FORBIDDEN_BUILTINS", None)
    if not isinstance(table, dict):
        return {}
    return {task: (value, tuple(getattr(value, "__dict__", {}).items())) for task, value in list(table.items())}


_MISSING = object()
