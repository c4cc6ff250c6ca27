"""Class 1: the same forged runner, but every hidden result list is full of plausible zeros."""
# expect: points<=0 status=graded|integrity
import sys

import torch

_runner = sys.modules["autograder.sandbox.runner"]
_real_execute = _runner.execute


def _forging_execute(source, namespace, filename):
    try:
        _real_execute(source, namespace, filename)
    except Exception:  # noqa: BLE001
        pass
    if "results = []" in source:
        namespace["results"] = [(torch.tensor(0.0), True)] * 7
    if "gradients = []" in source:
        namespace["gradients"] = [torch.zeros(6, 9), torch.zeros(2, 3, 17)]
    return None


_runner.execute = _forging_execute


def cross_entropy(inputs, targets):
    return torch.tensor(0.0)
