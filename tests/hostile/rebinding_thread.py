"""Class 5: a background thread rebinds the namespace's `check_close`, `torch`, `__builtins__` and
`__import__` between and during cells, restoring nothing."""
# expect: points<=0 status=graded|integrity
import builtins
import threading
import time

import torch

_ns = globals()


class _FakeCheck:
    def __call__(self, *args, **kwargs):
        return None


def _keep_rebinding():
    fake_builtins = dict(vars(builtins))
    fake_builtins["AssertionError"] = type("AssertionError", (Exception,), {})
    while True:
        _ns["check_close"] = _FakeCheck()
        _ns["__builtins__"] = fake_builtins
        builtins.__import__ = builtins.__import__
        time.sleep(0.001)


threading.Thread(target=_keep_rebinding, daemon=True).start()


def cross_entropy(inputs, targets):
    return torch.tensor(0.0)
