"""Machinery that several notebooks' graded cells share.

The graded cells import these instead of writing them out each time, so what
a student scrolls through in a helper cell is what their own notebook's tests
need. Nothing here decides a grade: the checks and the reference
implementations they compare against stay in the notebooks' graded cells.

* :func:`substitute` puts a stand-in (usually a reference) in place of a name
  for the duration of a ``with`` block, so that a function built on another
  student function is graded on its own.
* :func:`run_steps` calls a student's ``train_step`` once per batch, each call
  graded.
* :class:`MetaOnCPU` runs code asked for the ``meta`` device on the CPU and
  tags the tensors that would live on the device, so a check can follow
  where a function puts its tensors without a GPU.
"""

from __future__ import annotations

import contextlib
from collections.abc import MutableMapping

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten

from .checking import graded

__all__ = ["substitute", "run_steps", "MetaOnCPU", "is_meta"]

_UNBOUND = object()


def _read(target, name: str):
    if isinstance(target, MutableMapping):
        return target.get(name, _UNBOUND)
    return getattr(target, name, _UNBOUND)


def _bind(target, name: str, value) -> None:
    if value is _UNBOUND:
        if isinstance(target, MutableMapping):
            target.pop(name, None)
        elif hasattr(target, name):
            delattr(target, name)
    elif isinstance(target, MutableMapping):
        target[name] = value
    else:
        setattr(target, name, value)


@contextlib.contextmanager
def substitute(target, name: str, replacement):
    """Bind ``name`` in ``target`` to ``replacement`` while the ``with`` block runs, then put back what was there.

    ``target`` is a namespace (a notebook's ``globals()``, a dict) or a module. A function looks
    up the other functions it calls (``cross_entropy`` inside ``perplexity``, ``parts`` inside
    ``train_step``) in its module's globals when it calls them, so binding the name there makes
    every such call inside the block reach ``replacement``: the check of one function is then not
    charged for a mistake in another. The old binding comes back when the block ends, also when
    it raises; a name that was not bound before is unbound again. Yields ``replacement``.
    """
    saved = _read(target, name)
    _bind(target, name, replacement)
    try:
        yield replacement
    finally:
        _bind(target, name, saved)


def run_steps(step, model, optimizer, batches, lrs, max_l2_norm, *, set_lr_first: bool = False,
              task: str = "train_step") -> list:
    """Call ``step(model, optimizer, x, y, lr, max_l2_norm)`` once per ``(x, y)`` of ``batches``; return its results.

    ``lrs``: one learning rate per batch. ``set_lr_first``: put each step's lr into every parameter
    group before calling ``step`` (a check of what one step leaves for the next, whether or not the
    step sets the lr itself). Each call runs inside :func:`lmtrain.checking.graded` for ``task``.
    """
    returned = []
    for (x, y), lr in zip(batches, lrs):
        if set_lr_first:
            for group in optimizer.param_groups:
                group["lr"] = lr
        with graded(task):
            returned.append(step(model, optimizer, x, y, lr, max_l2_norm))
    return returned


def is_meta(device) -> bool:
    """Whether ``device`` (a string or a ``torch.device``; anything else is not one) names the ``meta`` device."""
    try:
        return isinstance(device, (str, torch.device)) and torch.device(device).type == "meta"
    except RuntimeError:
        return False


class MetaOnCPU(TorchFunctionMode):
    """Runs code asked for device 'meta' on the CPU, tagging each tensor that would live on the device.

    A tensor is tagged when it is created or moved with device 'meta', or computed from a tagged
    tensor; .cpu() and .to('cpu') drop the tag. Reading a tagged tensor's values (.item(), int(),
    .tolist(), as an index) works, as on a GPU; handing it to numpy raises, as on a GPU.
    ``tagged`` maps ``id(tensor)`` to each tagged tensor.
    """

    def __init__(self):
        super().__init__()
        self.tagged = {}  # id -> tensor (kept alive, so that ids stay unique)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        to_meta = is_meta(kwargs.get("device"))
        if to_meta:
            kwargs["device"] = "cpu"
        if func is torch.Tensor.to and any(is_meta(a) for a in args[1:]):
            args, to_meta = tuple("cpu" if is_meta(a) else a for a in args), True
        leaves, _ = tree_flatten((args, kwargs))
        derived = any(isinstance(t, torch.Tensor) and id(t) in self.tagged for t in leaves)
        if derived and func in (torch.Tensor.numpy, torch.Tensor.__array__):
            raise TypeError("can't convert a tensor on the device to numpy (as on 'cuda'): call .cpu() first")
        to_cpu = func is torch.Tensor.cpu or (func is torch.Tensor.to and not to_meta and any(
            isinstance(a, (str, torch.device)) and torch.device(a).type == "cpu" for a in (*args[1:], kwargs.get("device"))
            if a is not None))
        out = func(*args, **kwargs)
        if to_cpu and derived and any(out is t for t in leaves):
            out = out.detach()  # on the CPU .cpu() returns the tensor itself: the copy back is a new tensor
        if to_meta or (derived and not to_cpu):
            for t in tree_flatten(out)[0]:
                if isinstance(t, torch.Tensor):
                    self.tagged[id(t)] = t
        return out
