"""Class 1: replace the sandbox-side runner's execute (through sys.modules) with one that runs every
later section with the built-in detector switched off, then answer with F.cross_entropy. The
forbidden call goes unseen unless the runner keeps, and checks, its own functions."""
# expect: points<=0 status=integrity
import contextlib
import sys

import torch.nn.functional as F

_runner = sys.modules["autograder.sandbox.runner"]
_real_execute = _runner.execute


def _unwatched_execute(source, namespace, filename):
    watching = namespace.get("graded")
    namespace["graded"] = lambda task: contextlib.nullcontext()
    try:
        return _real_execute(source, namespace, filename)
    finally:
        namespace["graded"] = watching


_runner.execute = _unwatched_execute


def cross_entropy(inputs, targets):
    return F.cross_entropy(inputs.reshape(-1, inputs.shape[-1]), targets.reshape(-1))
