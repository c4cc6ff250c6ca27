"""lmtrain.checking: the comparison messages and the run-time built-in detector."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lmtrain.checking import ForbiddenBuiltinError, check_close, graded


def test_check_close_passes_and_reports_the_worst_element():
    check_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-7]), what="x")
    with pytest.raises(AssertionError, match=r"(?s)x: expected .* max difference 0.5 at index \(1,\).*Hint: look"):
        check_close(torch.tensor([1.0, 2.5]), torch.tensor([1.0, 2.0]), what="x", hint="look")


def test_check_close_names_shape_and_non_finite_problems():
    with pytest.raises(AssertionError, match=r"expected shape \(\), got shape \(3,\)"):
        check_close(torch.zeros(3), 0.0, what="loss")
    with pytest.raises(AssertionError, match="expected finite values"):
        check_close(torch.tensor(float("inf")), 1.0, what="loss")
    with pytest.raises(AssertionError, match="should be a torch.Tensor or a number"):
        check_close("1.0", 1.0, what="loss")


_INF, _NAN = float("inf"), float("nan")
NUMBER_PAIRS = [
    (0.5, 0.5), (0.5 + 1e-9, 0.5), (0.5 + 1e-3, 0.5), (0.0, 0.0), (-0.0, 0.0), (1e-7, 0.0), (2e-6, 0.0),
    (3, 3.0), (True, 1), (False, 0.5), (1.0, np.float64(1.0 + 1e-12)), (np.float64(2.0), 2.5),
    (2**60, float(2**60)), (1e308, -1e308), (_INF, _INF), (_INF, 1.0), (1.0, _INF), (-_INF, _INF),
    (_NAN, _NAN), (_NAN, 1.0), (1.0, _NAN), (1e-13, 0.0), (1.0 + 2**-52, 1.0), (1.0001, 1.0), (1.00011, 1.0),
]


@pytest.mark.parametrize("atol, rtol", [(1e-6, 1e-4), (0.0, 0.0), (1e-7, 2e-6), (0, 1)])
@pytest.mark.parametrize("got, want", NUMBER_PAIRS, ids=[f"{a!r}-vs-{b!r}" for a, b in NUMBER_PAIRS])
def test_two_numbers_get_the_verdict_and_message_of_two_float64_tensors(got, want, atol, rtol):
    # Two plain numbers are compared without tensors: the tensor comparison is the oracle, verdict and message.
    def outcome(a, b):
        try:
            check_close(a, b, what="the value", atol=atol, rtol=rtol, hint="a hint")
        except AssertionError as exc:
            return str(exc)
        return None

    as_tensor = lambda x: torch.tensor(float(x), dtype=torch.float64)  # noqa: E731
    assert outcome(got, want) == outcome(as_tensor(got), as_tensor(want))



@pytest.mark.parametrize("got, want, passes", [
    (_INF, _INF, True), (-_INF, -_INF, True), (1e308, _INF, False), (1.0, _INF, False), (-_INF, _INF, False),
    (_NAN, _INF, False), (_INF, _NAN, False), (_NAN, _NAN, False), (1.0, 1.0, True),
])
@pytest.mark.parametrize("as_tensors", [False, True])
def test_an_infinite_expected_value_is_met_by_the_same_infinity_only(got, want, passes, as_tensors):
    if as_tensors:  # inside a tensor, beside finite values that match
        got, want = (torch.tensor([0.5, value, 2.0], dtype=torch.float64) for value in (got, want))
    if passes:
        check_close(got, want, what="the value", rtol=1e-4)
    else:
        with pytest.raises(AssertionError, match="the value"):
            check_close(got, want, what="the value", rtol=1e-4)



@pytest.mark.parametrize(
    "call",
    [
        lambda x, t: F.cross_entropy(x, t),
        lambda x, t: getattr(F, "nll_loss")(torch.log_softmax(x, -1), t),
        lambda x, t: torch.nn.CrossEntropyLoss()(x, t),
        lambda x, t: torch.ops.aten.nll_loss_forward(torch.log_softmax(x, -1), t, None, 1, -100)[0],
    ],
    ids=["direct", "getattr", "module", "aten"],
)
def test_graded_detects_the_builtin_however_it_is_reached(call):
    x, t = torch.randn(3, 5), torch.tensor([0, 1, 2])
    with pytest.raises(ForbiddenBuiltinError, match="Re-implementing it is the exercise"):
        with graded("cross_entropy"):
            call(x, t)


def _adamw_arguments():
    params, grads = [torch.zeros(3)], [torch.ones(3)]
    return (params, grads, [torch.zeros(3)], [torch.zeros(3)], [], [torch.tensor(1.0)]), dict(
        lr=0.1, beta1=0.9, beta2=0.999, weight_decay=0.01, eps=1e-8, amsgrad=False, maximize=False)


@pytest.mark.parametrize(
    "call",
    [
        lambda a, k: torch.optim.AdamW([torch.zeros(3, requires_grad=True)]),
        lambda a, k: torch._fused_adamw_(*a, **k),
        lambda a, k: torch._fused_adam_(*a, **k),
        lambda a, k: torch.ops.aten._fused_adamw_(*a, **k),
        lambda a, k: torch.ops.aten._fused_adamw_.default(*a, **k),
        lambda a, k: getattr(torch.ops.aten._fused_adam_, "default")(*a, **k),
    ],
    ids=["optim", "torch", "torch-adam", "aten", "aten-overload", "aten-adam-overload"],
)
def test_graded_sees_adamw_kernels_by_their_bindings_without_a_dispatch_mode(call, monkeypatch):
    """AdamW's fused kernels are watched through the C functions that reach them, not by a dispatch
    mode (which would slow every tensor operation of a training check)."""
    from lmtrain import checking

    def no_dispatch_mode(*_args, **_kwargs):
        raise AssertionError("a dispatch mode was started")

    monkeypatch.setattr(checking, "_DispatchRecorder", no_dispatch_mode)
    args, kwargs = _adamw_arguments()
    with pytest.raises(ForbiddenBuiltinError, match="AdamW calls") as raised:
        with graded("AdamW"):
            call(args, kwargs)
    assert "(seen: )" not in str(raised.value)  # the call is named, even an overload's


_WAYS = [
    lambda x, t: F.cross_entropy(x, t),
    lambda x, t: torch.nn.CrossEntropyLoss()(x, t),
    lambda x, t: torch.ops.aten.nll_loss_forward(torch.log_softmax(x, -1), t, None, 1, -100)[0],
]


@pytest.mark.parametrize("call", _WAYS, ids=["direct", "module", "aten"])
def test_a_builtin_called_by_the_answer_to_another_task_is_charged_to_that_task(call):
    def cross_entropy(x, t):  # Task 1.1's answer, calling the built-in: its own tests catch it
        return call(x, t)

    def perplexity(x, t):
        return torch.exp(cross_entropy(x, t))

    def perplexity_of_its_own(x, t):  # calls the built-in itself: perplexity's to answer for
        return torch.exp(call(x, t))

    x, t = torch.randn(3, 5), torch.tensor([0, 1, 2])
    with graded("perplexity", other_tasks=(cross_entropy,)):
        perplexity(x, t)
    with pytest.raises(ForbiddenBuiltinError, match="perplexity calls"):
        with graded("perplexity", other_tasks=(cross_entropy,)):
            perplexity_of_its_own(x, t)
    with pytest.raises(ForbiddenBuiltinError, match="perplexity calls"):
        with graded("perplexity"):
            perplexity(x, t)


def test_graded_allows_other_operations_and_silences_stderr(capsys):
    x = torch.randn(3, 5)
    with graded("cross_entropy"):
        torch.logsumexp(x, -1)
        print("noise", file=sys.stderr)
        import warnings

        warnings.warn("deprecated thing")
    assert capsys.readouterr().err == ""


def test_removing_the_profiler_hook_is_caught():
    with pytest.raises(ForbiddenBuiltinError, match="replaced the profiler hook"):
        with graded("gradient_clipping"):
            sys.setprofile(None)


def test_optimizer_builtins_are_detected_through_subclassing():
    class Sneaky(torch.optim.AdamW):
        pass

    p = torch.nn.Parameter(torch.randn(3))
    p.grad = torch.randn(3)
    with pytest.raises(ForbiddenBuiltinError, match="torch.optim.Adam"):
        with graded("AdamW"):
            Sneaky([p]).step()


def test_check_close_without_shape_check_still_needs_every_value():
    """check_shape=False lets a (1,) parameter match a number; it must not let an empty or a
    single broadcast value stand for a whole expected tensor."""
    check_close(torch.tensor([2.0]), 2.0, what="p", check_shape=False)
    with pytest.raises(AssertionError, match=r"expected 1 value\(s\), got 0"):
        check_close(torch.zeros(0), 2.0, what="p", check_shape=False)
    with pytest.raises(AssertionError, match=r"expected 3 value\(s\), got 1"):
        check_close(torch.tensor([1.0]), torch.ones(3), what="p", check_shape=False)


@pytest.mark.parametrize("where", ["thread", "raw_thread", "fork", "subprocess"])
def test_graded_refuses_threads_and_processes(where):
    """The profiler hook and the dispatch mode watch one thread of one process: a built-in called
    from another thread or a child process would go unseen, so starting one inside graded() fails."""
    import _thread
    import os
    import subprocess
    import threading

    x, t = torch.randn(3, 5), torch.tensor([0, 1, 2])
    start = {
        "thread": lambda: threading.Thread(target=lambda: F.cross_entropy(x, t)).start(),
        "raw_thread": lambda: _thread.start_new_thread(lambda: None, ()),
        "fork": lambda: os.waitpid(pid, 0) if (pid := os.fork()) else os._exit(0),
        "subprocess": lambda: subprocess.run([sys.executable, "-c", "pass"], check=True),
    }[where]
    with pytest.raises(ForbiddenBuiltinError, match="started a process or thread"):
        with graded("cross_entropy"):
            start()


def test_graded_allows_plain_tensor_code_on_many_threads_of_pytorch():
    """PyTorch's own intra-op threads are not the student's: a large op inside graded() passes."""
    x = torch.randn(512, 512)
    with graded("cross_entropy"):
        (x @ x).logsumexp(-1).mean()
