"""lmtrain.testing: the machinery graded cells share, on hand-worked cases."""

from __future__ import annotations

import types

import pytest
import torch

from lmtrain.checking import ForbiddenBuiltinError
from lmtrain.testing import run_steps, substitute


def _calls_helper(namespace: dict):
    """A function whose globals are ``namespace``, calling ``helper`` from there as a notebook's function does."""
    exec("def outer(x):\n    return helper(x)\n", namespace)
    return namespace["outer"]


def test_substitute_rebinds_a_global_while_the_block_runs_and_restores_it():
    namespace = {"helper": lambda x: x + 1}
    original = namespace["helper"]
    outer = _calls_helper(namespace)
    with substitute(namespace, "helper", lambda x: 10 * x) as replacement:
        assert outer(3) == 30
        assert namespace["helper"] is replacement
    assert namespace["helper"] is original and outer(3) == 4


def test_substitute_restores_on_an_exception():
    namespace = {"helper": abs}
    with pytest.raises(ZeroDivisionError):
        with substitute(namespace, "helper", round):
            1 / 0
    assert namespace["helper"] is abs


def test_substitute_unbinds_a_name_that_was_not_bound():
    namespace: dict = {}
    outer = _calls_helper(namespace)
    with substitute(namespace, "helper", str):
        assert outer(5) == "5"
    assert "helper" not in namespace
    with pytest.raises(NameError):
        outer(5)


def test_substitute_on_a_module():
    module = types.ModuleType("example")
    module.value = 1
    with substitute(module, "value", 2), substitute(module, "other", 3):
        assert (module.value, module.other) == (2, 3)
    assert module.value == 1 and not hasattr(module, "other")


def _recording_step(seen: list):
    def step(model, optimizer, x, y, lr, max_l2_norm):
        seen.append((x, y, lr, max_l2_norm, [group["lr"] for group in optimizer.param_groups]))
        return x + y
    return step


def test_run_steps_calls_the_step_once_per_batch_with_its_lr():
    seen = []
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([{"params": [parameter], "lr": 0.5}])
    returned = run_steps(_recording_step(seen), None, optimizer, [(1, 2), (3, 4)], [0.1, 0.2], 7.0)
    assert returned == [3, 7]
    # without set_lr_first the groups keep their lr: setting it is the step's job
    assert seen == [(1, 2, 0.1, 7.0, [0.5]), (3, 4, 0.2, 7.0, [0.5])]


def test_run_steps_sets_the_lr_first_when_asked():
    seen = []
    parameters = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
    optimizer = torch.optim.SGD([{"params": [parameters[0]], "lr": 0.5}, {"params": [parameters[1]], "lr": 0.7}])
    run_steps(_recording_step(seen), None, optimizer, [(1, 2), (3, 4)], [0.1, 0.2], 7.0, set_lr_first=True)
    assert [groups for *_, groups in seen] == [[0.1, 0.1], [0.2, 0.2]]


def test_run_steps_grades_each_call():
    def clipping_step(model, optimizer, x, y, lr, max_l2_norm):
        torch.nn.utils.clip_grad_norm_([parameter], max_l2_norm)

    parameter = torch.nn.Parameter(torch.ones(2))
    parameter.grad = torch.ones(2)
    optimizer = torch.optim.SGD([parameter], lr=0.1)
    with pytest.raises(ForbiddenBuiltinError):
        run_steps(clipping_step, None, optimizer, [(0, 0)], [0.1], 1.0, task="gradient_clipping")
