"""Tamper detection inside the sandbox: did the submission replace the objects the tests rely on?

This is a hint, not a protection. Verdicts are decided by the grader on plain
data (see :mod:`autograder.checker`), so a submission that defeats this check
gains nothing but the chance to hide a forbidden built-in call; when it is
seen, the notebook's status becomes ``integrity`` and later tests earn nothing.

Two snapshots are kept. :class:`Guard` covers modules: PyTorch's and NumPy's,
the course package's checking helpers and cell seeds, and the grader's own modules that run
in the sandbox (the runner that executes a drive and the protocol that encodes
what it reports, the channel's connection class). :class:`Definitions` covers
the functions and classes that graded cells define (helper cells above all),
which later drives call by name from the notebook's namespace.
"""

from __future__ import annotations

import sys
from itertools import chain
from operator import attrgetter, is_, itemgetter

__all__ = ["Guard", "Definitions"]

_WATCHED_MODULES = (
    "builtins", "math", "io", "contextlib", "warnings",
    "torch", "torch.nn", "torch.nn.functional", "torch.testing", "torch.autograd",
    "torch.utils._python_dispatch",
    "numpy", "numpy.testing", "numpy.linalg",
    "lmtrain", "lmtrain.checking", "lmtrain.loader", "lmtrain.notebook", "lmtrain.seeds", "lmtrain.testing",
    # the grader's side of the sandbox: what runs a drive, encodes its results and carries them
    "autograder.sandbox.runner", "autograder.protocol", "autograder.sections", "autograder.sandbox.tamper", "multiprocessing.connection",
)
_WATCHED_SYS = ("getprofile", "setprofile", "gettrace", "settrace", "modules")


def _watched_types():
    from multiprocessing.connection import Connection, _ConnectionBase

    import numpy
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    from lmtrain.testing import MetaOnCPU  # a drive's device tracker: its methods decide what a check reads

    return [torch.Tensor, torch._C.TensorBase, TorchDispatchMode, numpy.ndarray, torch.nn.Module, torch.nn.Parameter,
            MetaOnCPU, Guard, Definitions, Connection, _ConnectionBase]


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
        # the same snapshot as flat tuples, for the quick pass of unchanged()
        self._entries = [(vars(owner), _getter(tuple(snapshot)), tuple(snapshot.values()))
                         for owner, snapshot in [*self.modules.values(), *self.types] if snapshot]
        kept = list(self.functions.values())
        self._function_objects = tuple(value for value, _state in kept)
        self._function_states = tuple(chain.from_iterable(state for _value, state in kept))

    def unchanged(self) -> bool:
        """True when every watched object is the very one of the snapshot: one pass, compared by identity
        in C (itemgetter, map, operator.is_), which takes 0.3 ms where :meth:`check_and_restore`'s loops take
        0.5, and spares them after most cells. False also when the pass itself fails: the full comparison
        then says what changed."""
        try:
            for current, values_of, values in self._entries:
                if not all(map(is_, values_of(current), values)):
                    return False
            states = chain.from_iterable(map(_FUNCTION_STATE, self._function_objects))
            return (all(map(is_, states, self._function_states))
                    and all(sys.modules.get(name) is module for name, (module, _snapshot) in self.modules.items())
                    and all(getattr(sys, name) is value for name, value in self.sys_attrs.items())
                    and _forbidden_table() == self.forbidden)
        except Exception:  # noqa: BLE001 - e.g. an attribute that now raises
            return False

    def check_and_restore(self) -> list[str]:
        """Names of watched objects that changed since the snapshot; all are put back."""
        if self.unchanged():
            return []
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


class Definitions:
    """The functions and classes that graded cells defined, as they were right after their cell ran.

    A drive calls a helper cell's function by its name in the notebook's namespace, where a
    submission can rebind it, or change the object in place (its code, its defaults, a method of
    its class), to make the drive report what it likes. :meth:`record` keeps them after each
    section of a graded cell; :meth:`check_and_restore` puts them back.
    """

    def __init__(self):
        self.kept: dict = {}  # name -> (value, its state)

    def record(self, defined, namespace: dict, bound=()) -> None:
        """Keep the functions and classes named ``defined``, which a section of a graded cell (just
        run) defines; ``bound``: every name it may have bound, whose kept definition is now the section's own."""
        for name in set(bound) & set(self.kept):
            value = namespace.get(name, _MISSING)
            if isinstance(value, type) or hasattr(value, "__code__"):
                self.kept[name] = (value, _definition_state(value))
            else:
                del self.kept[name]
        for name in defined:
            if name in namespace:
                value = namespace[name]
                self.kept[name] = (value, _definition_state(value))

    def check_and_restore(self, namespace: dict, *, rebinding: bool, exempt=()) -> list[str]:
        """Put every kept definition back; the names of those changed.

        ``rebinding``: whether a name bound to another object counts as tampering. Between graded
        cells it does not (a student may well name a function of their own like a helper: it is
        put back, silently, before the next graded cell); inside one it does, since only the
        grader's sections and the code they call ran. ``exempt``: names the section just run
        binds itself.
        """
        changed = []
        for name, (value, state) in self.kept.items():
            if name in exempt:
                continue
            if namespace.get(name, _MISSING) is not value:
                if rebinding:
                    changed.append(f"helper definition {name} (rebound)")
                namespace[name] = value
            if _definition_state(value) != state:
                changed.append(f"helper definition {name} (changed in place)")
                _restore_definition(value, state)
        return changed


def _definition_state(value):
    if isinstance(value, type):
        members = dict(vars(value))
        return ("class", members, {key: _function_state(member) for key, member in members.items()})
    return ("function", _function_state(value))


def _restore_definition(value, state) -> None:
    try:
        if state[0] == "function":
            if state[1] is not None:
                value.__code__, value.__defaults__, value.__kwdefaults__ = state[1]
            return
        _kind, members, functions = state
        for key in [k for k in vars(value) if k not in members]:
            delattr(value, key)
        for key, member in members.items():
            if vars(value).get(key, _MISSING) is not member and key not in ("__dict__", "__weakref__", "__doc__"):
                setattr(value, key, member)
            if functions[key] is not None and _function_state(member) != functions[key]:
                member.__code__, member.__defaults__, member.__kwdefaults__ = functions[key]
    except Exception:  # noqa: BLE001 - reported as changed all the same
        pass


_FUNCTION_STATE = attrgetter("__code__", "__defaults__", "__kwdefaults__")  # _function_state, in C


def _getter(keys: tuple):
    """What ``itemgetter(*keys)`` gives, always as a tuple (for one key it gives the value alone)."""
    if len(keys) == 1:
        return lambda mapping, key=keys[0]: (mapping[key],)
    return itemgetter(*keys)


def _forbidden_table() -> dict:
    """task -> (its ForbiddenSet, the values of its fields), from lmtrain.checking."""
    checking = sys.modules.get("lmtrain.checking")
    table = getattr(checking, "FORBIDDEN_BUILTINS", None)
    if not isinstance(table, dict):
        return {}
    return {task: (value, tuple(getattr(value, "__dict__", {}).items())) for task, value in list(table.items())}


_MISSING = object()
