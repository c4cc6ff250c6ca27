"""Class 1: rewrite what the runner reports. The runner's `execute` is replaced: every error is
swallowed, the visible drives get the values their visible checks expect (they are public), and the
hidden drives' result lists are left empty, so a check that loops over `zip(cases, results)` would
compare nothing."""
# expect: points<=0 status=graded|integrity
import math
import sys

import torch

_runner = sys.modules["autograder.sandbox.runner"]
_real_execute = _runner.execute


def _forging_execute(source, namespace, filename):
    try:
        _real_execute(source, namespace, filename)
    except Exception:  # noqa: BLE001 - every failure reported as success
        pass
    if "torch.zeros(3, 4)" in source:
        namespace["got"] = torch.tensor(math.log(4))
    if "1e4, 0.0, -1e4" in source:
        namespace["got"] = torch.tensor(1e4)
    if "torch.zeros(4, 10)" in source:
        namespace["got"] = torch.tensor(10.0)
    if "requires_grad_(True), targets)" in source:
        namespace["loss"] = torch.zeros((), requires_grad=True)
    if "results = []" in source:
        namespace["results"] = []
    if "gradients = []" in source:
        namespace["gradients"] = []
    if "one_token" in source:
        namespace["one_token"] = torch.tensor(0.0)
    return None


_runner.execute = _forging_execute


def cross_entropy(inputs, targets):
    raise NotImplementedError("cross_entropy")
