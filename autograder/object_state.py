"""What a namespace's objects hold, to tell whether running some code changed any of them.

The checker template runs a graded cell's student-independent sections once per class
(:mod:`autograder.class_cache`) and hands their results to every student's checker worker. That is
only right if such a section leaves alone every object that existed before it ran: the base
namespace every cell starts from, and what the cell's earlier sections built. :func:`snapshot`
records the state of everything reachable from a namespace (containers, objects' attributes,
tensors' and arrays' bytes, the notebook's own functions and classes) and a few process-wide
settings of PyTorch and NumPy; :func:`changed` names the first object whose state is no longer what
was recorded.

What it cannot look into (an object of a C extension with no Python-visible state) it records by
identity only. Modules, library functions and library classes are not walked: a setup that changed
one would be reported as tampering in every student's sandbox, where setups run too, so the
course's sections leave them alone.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import types
import warnings

__all__ = ["Snapshot", "changed", "global_settings", "restore_settings", "snapshot"]

#: Values compared by value where they appear, never walked.
_PLAIN = (type(None), bool, int, float, complex, str, bytes, type(Ellipsis), type(NotImplemented))

#: Objects that are the library's, not the notebook's: recorded by identity where they appear.
_OPAQUE = (types.ModuleType, types.BuiltinFunctionType, types.CodeType, types.MethodWrapperType,
           types.WrapperDescriptorType, types.MethodDescriptorType, types.GetSetDescriptorType,
           types.MemberDescriptorType, types.FrameType, types.GeneratorType)


def _settings() -> list[tuple]:
    """(name, read it, put it back) of each process-wide setting a section could change and a later one
    would feel; None where it cannot be put back from outside a ``with`` block."""
    import numpy
    import torch

    return [
        ("default dtype", torch.get_default_dtype, torch.set_default_dtype),
        ("default device", lambda: str(torch.get_default_device()),
         # setting it, even to the CPU, installs a mode every PyTorch call then goes through
         lambda device: torch.set_default_device(None if device == "cpu" else device)),
        ("grad mode", torch.is_grad_enabled, torch.set_grad_enabled),
        ("inference mode", torch.is_inference_mode_enabled, None),
        ("deterministic algorithms", torch.are_deterministic_algorithms_enabled, torch.use_deterministic_algorithms),
        ("anomaly detection", torch.is_anomaly_enabled, torch.autograd.set_detect_anomaly),
        ("PyTorch print options", lambda: dict(vars(torch._tensor_str.PRINT_OPTS)),
         lambda options: torch.set_printoptions(**options)),
        ("NumPy errors", numpy.geterr, lambda errors: numpy.seterr(**errors)),
        ("NumPy print options", numpy.get_printoptions, lambda options: numpy.set_printoptions(**options)),
        # only those that turn a warning into an error change a verdict; libraries add others as they load
        ("warnings raised as errors", lambda: [f for f in warnings.filters if f[0] == "error"], _set_error_filters),
        ("working folder", os.getcwd, os.chdir),
        ("environment", lambda: dict(os.environ), _set_environment),
    ]


def global_settings() -> dict:
    """Process-wide settings a section could change and a later one would feel, by name."""
    return {name: read() for name, read, _ in _settings()}


def restore_settings(saved: dict) -> None:
    """Put back what :func:`global_settings` recorded, only what changed."""
    for name, read, put_back in _settings():
        if put_back is not None and read() != saved[name]:
            put_back(saved[name])


def _set_error_filters(filters: list) -> None:
    warnings.filters[:] = [f for f in warnings.filters if f[0] != "error"] + filters
    warnings._filters_mutated()  # the modules' caches of which warnings were shown


def _set_environment(environment: dict) -> None:
    os.environ.clear()
    os.environ.update(environment)


def _digest(data) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class Snapshot:
    """The recorded state of every object reachable from some roots (see :func:`snapshot`)."""

    def __init__(self, owner_module: str):
        self.owner_module = owner_module  # __module__ of the notebook's own functions and classes
        self.states: dict[int, tuple] = {}
        self.objects: dict[int, object] = {}  # kept alive, so that no id is reused while compared
        self.settings = global_settings()

    def copy(self) -> "Snapshot":
        """Another record of the same states, to be extended with :meth:`walk` (what is recorded is not read again)."""
        other = Snapshot.__new__(Snapshot)
        other.owner_module, other.settings = self.owner_module, self.settings
        other.states, other.objects = dict(self.states), dict(self.objects)
        return other

    def key(self, value):
        """How a parent records ``value``: by value when plain, else by identity (and walk it)."""
        if isinstance(value, _PLAIN):
            return (type(value).__name__, value)
        return ("id", id(value))

    def _own(self, value) -> bool:
        return getattr(value, "__module__", None) == self.owner_module

    def state_of(self, obj) -> tuple[tuple, list]:
        """``obj``'s own state, and the objects it refers to (to be walked next)."""
        import numpy
        import torch

        kind = type(obj)
        if isinstance(obj, torch.Tensor):
            data = ""
            if obj.layout == torch.strided and obj.device.type != "meta":
                detached = obj.detach()
                data = _digest(detached.contiguous().view(-1).view(torch.uint8).cpu().numpy().tobytes()) \
                    if detached.numel() else "empty"
            state = ("tensor", kind, obj.dtype, str(obj.device), tuple(obj.shape), obj.stride()
                     if obj.layout == torch.strided else None, obj.requires_grad, data, self.key(obj.grad))
            return state + (self.key(getattr(obj, "__dict__", None)),), [obj.grad, getattr(obj, "__dict__", None)]
        if isinstance(obj, numpy.ndarray):
            return ("array", kind, obj.dtype.str, obj.shape, _digest(numpy.ascontiguousarray(obj).tobytes())), []
        if isinstance(obj, (list, tuple)):
            return ("seq", kind, tuple(map(self.key, obj))), list(obj)
        if isinstance(obj, dict):
            items = list(obj.items())
            return ("map", kind, tuple((self.key(k), self.key(v)) for k, v in items),
                    getattr(obj, "default_factory", None)), [x for kv in items for x in kv]
        if isinstance(obj, (set, frozenset)):
            return ("set", kind, frozenset(map(self.key, obj))), list(obj)
        if isinstance(obj, torch.Generator):
            return ("generator", _digest(obj.get_state().numpy().tobytes())), []
        if isinstance(obj, (io.BytesIO, io.StringIO)):
            return ("buffer", kind, obj.getvalue(), obj.tell()), []
        if isinstance(obj, functools.partial):
            return ("partial", self.key(obj.func), self.key(obj.args), self.key(obj.keywords)), \
                [obj.func, obj.args, obj.keywords]
        if isinstance(obj, types.MethodType):
            return ("method", self.key(obj.__func__), self.key(obj.__self__)), [obj.__func__, obj.__self__]
        if isinstance(obj, types.FunctionType):
            if not self._own(obj):
                return ("function", id(obj)), []
            # recorded inline: the closure's contents are read into a new tuple at every look
            cells = [c.cell_contents if _filled(c) else _EMPTY for c in obj.__closure__ or ()]
            parts = [obj.__defaults__, obj.__kwdefaults__, obj.__dict__]
            return ("own function", obj.__code__, tuple(map(self.key, parts)), tuple(map(self.key, cells))), \
                parts + cells
        if isinstance(obj, type):
            if not self._own(obj):
                return ("class", id(obj)), []
            attributes = list(vars(obj).items())  # a mappingproxy: a new one at every look, so inline
            return ("own class", obj.__bases__, tuple((k, self.key(v)) for k, v in attributes)), \
                [v for _, v in attributes]
        if isinstance(obj, _OPAQUE):
            return ("opaque", id(obj)), []
        refs = []
        attributes = getattr(obj, "__dict__", None)
        if isinstance(attributes, dict):
            refs.append(attributes)
        slots = tuple(getattr(obj, name, _EMPTY) for cls in kind.__mro__ for name in _slot_names(cls))
        refs.extend(slots)
        return ("object", kind, self.key(attributes), tuple(map(self.key, slots))), refs

    def walk(self, roots) -> None:
        """Record the objects reachable from ``roots`` that are not recorded yet."""
        with warnings.catch_warnings():  # reading `.grad` of a tensor that is not a leaf warns
            warnings.simplefilter("ignore")
            self._walk(list(roots))

    def _walk(self, pending: list) -> None:
        while pending:
            obj = pending.pop()
            if isinstance(obj, _PLAIN) or obj is _EMPTY or id(obj) in self.states:
                continue
            try:
                state, refs = self.state_of(obj)
            except Exception:  # noqa: BLE001 - something that will not say what it holds: its identity
                state, refs = ("unreadable", id(obj)), []
            self.states[id(obj)] = state
            self.objects[id(obj)] = obj
            pending.extend(refs)


class _Empty:
    def __repr__(self):
        return "<empty>"


_EMPTY = _Empty()  # an empty closure cell, an unset slot


def _filled(cell) -> bool:
    try:
        cell.cell_contents  # raises ValueError when the cell is empty
    except ValueError:
        return False
    return True


def _slot_names(cls) -> tuple:
    slots = vars(cls).get("__slots__", ())
    names = (slots,) if isinstance(slots, str) else tuple(slots)
    return tuple(name for name in names if name not in ("__dict__", "__weakref__"))


def snapshot(namespace: dict, owner_module: str) -> Snapshot:
    """The state of everything reachable from ``namespace``'s values, and the global settings."""
    recorded = Snapshot(owner_module)
    recorded.walk(list(namespace.values()))
    return recorded


def changed(before: Snapshot) -> str:
    """What no longer holds what ``before`` recorded ('' when nothing changed): a description for a report."""
    now = global_settings()
    for name, value in before.settings.items():
        if now[name] != value:
            return f"a process-wide setting ({name})"
    again = Snapshot(before.owner_module)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key, obj in before.objects.items():
            try:
                state, _ = again.state_of(obj)
            except Exception:  # noqa: BLE001
                state = ("unreadable", key)
            if state != before.states[key]:
                return f"an object of type {type(obj).__name__} that existed before the section"
    return ""
