"""The sandbox's tamper guard: its quick identity pass sees every kind of change the full comparison
reports, and nothing when nothing changed."""

from __future__ import annotations

import sys

import pytest
import torch

import lmtrain.checking
from autograder.sandbox.tamper import Guard


def _replace_code(function):
    function.__code__ = (lambda *args, **kwargs: None).__code__


TAMPERING = {
    "a module's function rebound": (lambda: setattr(torch, "allclose", lambda *a, **k: True), "torch.allclose"),
    "a function's code changed in place": (lambda: _replace_code(torch.nn.functional.mse_loss),
                                           "torch.nn.functional.mse_loss (code)"),
    "a function's defaults replaced": (lambda: setattr(torch.nn.functional.mse_loss, "__defaults__", (1, 2, 3, 4)),
                                       "torch.nn.functional.mse_loss (code)"),
    "a watched class's method rebound": (lambda: setattr(torch.nn.Module, "state_dict", lambda self: {}),
                                         "torch.nn.modules.module.Module.state_dict"),
    "a module entry deleted": (lambda: delattr(lmtrain.checking, "graded"), "lmtrain.checking.graded"),
    "sys.modules entry replaced": (lambda: sys.modules.__setitem__("numpy.testing", object()),
                                   "sys.modules['numpy.testing']"),
    "a sys hook function replaced": (lambda: setattr(sys, "settrace", lambda *a: None), "sys.settrace"),
    "the forbidden built-ins emptied": (lambda: lmtrain.checking.FORBIDDEN_BUILTINS.clear(),
                                        "lmtrain.checking.FORBIDDEN_BUILTINS (contents)"),
}


def test_nothing_changed():
    guard = Guard()
    assert guard.unchanged()
    assert guard.check_and_restore() == []


@pytest.mark.parametrize("how", sorted(TAMPERING))
def test_every_change_fails_the_quick_pass_and_is_reported_and_put_back(how):
    guard = Guard()
    tamper, reported = TAMPERING[how]
    try:
        tamper()
        assert not guard.unchanged()
        assert reported in guard.check_and_restore()
    finally:
        guard.check_and_restore()  # whatever happened above, this process's PyTorch as it was
    assert guard.unchanged() and guard.check_and_restore() == []
