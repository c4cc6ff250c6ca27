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
"""

from __future__ import annotations

import contextlib
from collections.abc import MutableMapping

from .checking import graded

__all__ = ["substitute", "run_steps"]

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
