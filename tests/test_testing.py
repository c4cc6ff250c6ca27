"""lmtrain.testing: the machinery graded cells share, on hand-worked cases."""

from __future__ import annotations

import types

import pytest
import torch

from lmtrain.checking import ForbiddenBuiltinError
from lmtrain.testing import MetaOnCPU, is_meta, run_steps, substitute


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


def test_meta_on_cpu_tags_what_would_live_on_the_device():
    with MetaOnCPU() as mode:
        on_device = torch.arange(3, device="meta")
        moved = torch.zeros(2).to("meta")
        moved_by_keyword = torch.zeros(2).to(device=torch.device("meta"))
        derived = on_device + 1
        host = torch.ones(2)
        back = on_device.cpu()
        back_by_to = derived.to("cpu")
        values = derived.tolist()
    tagged = set(mode.tagged)
    assert all(id(t) in tagged for t in (on_device, moved, moved_by_keyword, derived))
    assert not any(id(t) in tagged for t in (host, back, back_by_to))
    assert on_device.device.type == "cpu" and values == [1, 2, 3]  # run on the CPU, values readable as on a GPU
    assert back is not on_device and torch.equal(back, on_device)  # the copy back is a tensor of its own


def test_meta_on_cpu_refuses_numpy_of_a_device_tensor_as_a_gpu_does():
    with MetaOnCPU():
        on_device = torch.arange(3, device="meta")
        with pytest.raises(TypeError, match="numpy"):
            on_device.numpy()
        assert on_device.cpu().numpy().tolist() == [0, 1, 2]


def test_is_meta():
    assert is_meta("meta") and is_meta(torch.device("meta"))
    assert not is_meta("cpu") and not is_meta(None) and not is_meta("no such device") and not is_meta(3)
