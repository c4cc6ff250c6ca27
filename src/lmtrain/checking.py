"""Checks that the notebooks' visible and hidden tests share.

Two tools live here:

* :func:`check_close` compares a student's result with an independent
  reference and, when they differ, says what was expected, what came out,
  where they differ most, and what usually causes it.
* :func:`graded` wraps a call of student code in a graded test. It keeps
  warnings and stderr out of the cell (nbgrader scores a test cell 0 when it
  writes to stderr, which would punish a correct solution that happens to
  trigger a deprecation warning), and it watches, at run time, for calls of
  the PyTorch built-in that the exercise re-implements. Detection happens on
  the call itself, so an alias, ``getattr`` or a re-import is caught too.
"""

from __future__ import annotations

import contextlib
import io
import math
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode

__all__ = ["check_close", "graded", "ForbiddenBuiltinError", "FORBIDDEN_BUILTINS"]


class ForbiddenBuiltinError(AssertionError):
    """The student's code called the PyTorch built-in that the task replaces."""


# ---------------------------------------------------------------------------
# Comparing with a reference
# ---------------------------------------------------------------------------


def _as_float64_tensor(value, name: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", torch.float64)
    if isinstance(value, (int, float)):
        return torch.tensor(float(value), dtype=torch.float64)
    raise AssertionError(
        f"{name} should be a torch.Tensor or a number, but it is a {type(value).__name__}."
    )


def _plain_number(value) -> float | None:
    """``value`` as a float when it is a plain number (int, float, bool or NumPy's float64), else None."""
    kind, numpy = type(value), sys.modules.get("numpy")
    if kind in (float, int, bool) or (numpy is not None and kind is numpy.float64):
        try:
            return float(value)
        except (OverflowError, ValueError):  # an int too large: the tensor comparison says so
            return None
    return None


def check_close(
    actual,
    expected,
    *,
    what: str,
    atol: float = 1e-6,
    rtol: float = 1e-4,
    hint: str = "",
    check_shape: bool = True,
) -> None:
    """Assert that ``actual`` matches ``expected`` element-wise.

    Both are compared in float64 on the CPU. ``what`` names the quantity in
    the message ("cross_entropy of a (4, 7, 11) batch"); ``hint`` says what
    usually causes a mismatch.
    """
    got_number, want_number = _plain_number(actual), _plain_number(expected)
    if got_number is not None and want_number is not None and type(atol) in (int, float) \
            and type(rtol) in (int, float):
        # Two numbers (a hidden check compares hundreds): the float64 arithmetic of the comparison below,
        # without building eight tensors each time. It only lets a match to a finite value pass; anything
        # else goes on to the comparison below, which decides the rest and says what is wrong.
        if math.isfinite(want_number) and abs(got_number - want_number) <= atol + rtol * abs(want_number):
            return
    got = _as_float64_tensor(actual, what)
    want = _as_float64_tensor(expected, "the reference")
    suffix = f"\nHint: {hint}" if hint else ""
    if check_shape and got.shape != want.shape:
        raise AssertionError(
            f"{what}: expected shape {tuple(want.shape)}, got shape {tuple(got.shape)}.{suffix}"
        )
    if got.numel() != want.numel():
        # even where the shape may differ (check_shape=False: a (1,) parameter against a number),
        # an empty or a broadcast result must not compare as equal to every expected value
        raise AssertionError(
            f"{what}: expected {want.numel()} value(s), got {got.numel()} (shape {tuple(got.shape)}).{suffix}"
        )
    got, want = torch.broadcast_tensors(got, want)
    finite_mismatch = torch.isfinite(want) & ~torch.isfinite(got)
    if finite_mismatch.any():
        raise AssertionError(
            f"{what}: expected finite values, got {_summary(got)} "
            f"(expected {_summary(want)}). Overflow or log(0) somewhere?{suffix}"
        )
    diff = (got - want).abs()
    tolerance = atol + rtol * want.abs()
    # an infinite expected value is met by the same infinity only: its tolerance is infinite as well
    # (any finite value would pass), and infinity minus itself is NaN (the right answer would fail)
    met = (diff <= tolerance) & torch.isfinite(want)
    met |= torch.isinf(want) & (got == want)
    bad = ~met
    if bad.any():
        worst = int(torch.argmax(torch.where(bad, diff, torch.zeros_like(diff))).item())
        index = tuple(int(i) for i in torch.unravel_index(torch.tensor(worst), got.shape)) if got.dim() else ()
        raise AssertionError(
            f"{what}: expected {_summary(want)}, got {_summary(got)}; "
            f"max difference {float(diff.max()):.3g} at index {index} "
            f"(expected {float(want.flatten()[worst]):.6g}, got {float(got.flatten()[worst]):.6g})."
            f"{suffix}"
        )


def _summary(t: torch.Tensor) -> str:
    if t.numel() == 1:
        return f"{float(t.flatten()[0]):.6g}"
    return f"a tensor of shape {tuple(t.shape)} with mean {float(t.mean()):.6g}"


# ---------------------------------------------------------------------------
# Forbidden built-ins
# ---------------------------------------------------------------------------


def _torch_file(*parts: str) -> str:
    return str(Path(torch.__file__).parent.joinpath(*parts))


@dataclass(frozen=True)
class ForbiddenSet:
    """What counts as "calling the built-in" for one task.

    ``python_files``: any Python function defined in these torch source files.
    ``python_functions``: these Python functions (by code object).
    ``c_functions``: these C functions, seen as profiler ``c_call`` events.
    ``aten_ops``: these dispatcher ops, whatever Python route reached them (the grader's static scan
    names them; the run-time watch sees them through a dispatch mode when ``watch_dispatch``).
    ``watch_dispatch``: False where ``c_functions`` lists every Python binding of ``aten_ops``. A
    dispatch mode costs every tensor operation of the block a Python call: AdamW's 30-step training
    check ran three times slower under it, for kernels that have a handful of bindings.
    """

    description: str
    python_files: frozenset = field(default_factory=frozenset)
    python_functions: tuple = ()
    c_functions: tuple = ()
    aten_ops: frozenset = field(default_factory=frozenset)
    watch_dispatch: bool = True


def _op_bindings(*names: str) -> tuple:
    """The C functions through which Python reaches the ATen ops ``names``: ``torch.<name>`` and
    ``torch.ops.aten.<name>`` with each of its overloads."""
    found = []
    for name in names:
        if hasattr(torch, name):
            found.append(getattr(torch, name))
        packet = getattr(torch.ops.aten, name)
        found += [packet._op] + [getattr(packet, overload)._op for overload in packet.overloads()]
    return tuple(found)


def _build_forbidden() -> dict[str, ForbiddenSet]:
    F = torch.nn.functional
    loss_set = ForbiddenSet(
        description="torch.nn.functional.cross_entropy / nll_loss (or nn.CrossEntropyLoss)",
        python_functions=(F.cross_entropy, F.nll_loss),
        c_functions=tuple(
            getattr(torch._C._nn, name)
            for name in ("cross_entropy_loss", "nll_loss", "nll_loss_nd", "nll_loss2d")
            if hasattr(torch._C._nn, name)
        ),
        aten_ops=frozenset(
            {"aten::nll_loss_forward", "aten::nll_loss2d_forward", "aten::cross_entropy_loss"}
        ),
    )
    return {
        "cross_entropy": loss_set,
        "perplexity": loss_set,
        "SGD": ForbiddenSet(
            description="torch.optim.SGD",
            python_files=frozenset({_torch_file("optim", "sgd.py")}),
        ),
        "AdamW": ForbiddenSet(
            description="torch.optim.Adam / torch.optim.AdamW",
            python_files=frozenset({_torch_file("optim", "adam.py"), _torch_file("optim", "adamw.py")}),
            c_functions=_op_bindings("_fused_adam_", "_fused_adamw_"),
            aten_ops=frozenset({"aten::_fused_adam_", "aten::_fused_adamw_"}),
            watch_dispatch=False,
        ),
        "get_lr_cosine_schedule": ForbiddenSet(
            description="torch.optim.lr_scheduler",
            python_files=frozenset({_torch_file("optim", "lr_scheduler.py")}),
        ),
        "gradient_clipping": ForbiddenSet(
            description="torch.nn.utils.clip_grad_norm_",
            python_files=frozenset({_torch_file("nn", "utils", "clip_grad.py")}),
        ),
    }


FORBIDDEN_BUILTINS: dict[str, ForbiddenSet] = _build_forbidden()


class _DispatchRecorder(TorchDispatchMode):
    """Records forbidden dispatcher ops; everything else passes through untouched."""

    def __init__(self, ops: frozenset, hits: list, excused):
        super().__init__()
        self._ops = ops
        self._hits = hits
        self._excused = excused
        # every op of the block passes through here: its name is looked up once per overload
        # (a dict keyed by the overload object), not once per call
        self._forbidden: dict = {}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        forbidden = self._forbidden.get(func)
        if forbidden is None:
            forbidden = self._forbidden[func] = func.name() in self._ops
        if forbidden and not self._excused(sys._getframe(1)):
            self._hits.append(func.name())
        return func(*args, **(kwargs or {}))


def _starters() -> tuple:
    """The built-ins that start a thread or a process: code they start is not watched (the
    profiler hook and the dispatch mode are per thread, a child process reports nothing back)."""
    import _thread
    import os

    names = ("fork", "forkpty", "posix_spawn", "posix_spawnp", "system", "execv", "execve", "spawnv", "spawnve")
    found = [_thread.start_new_thread] + [getattr(os, n) for n in names if hasattr(os, n)]
    try:
        import _posixsubprocess

        found.append(_posixsubprocess.fork_exec)
    except ImportError:
        pass
    return tuple(found)


_STARTERS = _starters()
_STARTER_IDS = frozenset(map(id, _STARTERS))


def _codes_of(functions) -> frozenset:
    """The code objects of ``functions`` (a class counts with every function it defines)."""
    codes = set()
    for function in functions:
        for value in [function, *vars(function).values()] if isinstance(function, type) else [function]:
            code = getattr(getattr(value, "__func__", value), "__code__", None)
            if code is not None:
                codes.add(code)
    return frozenset(codes)


def _inside(frame, codes: frozenset) -> bool:
    """Whether ``frame`` or one of its callers runs one of ``codes``."""
    while frame is not None and codes:
        if frame.f_code in codes:
            return True
        frame = frame.f_back
    return False


@contextlib.contextmanager
def _watch_for_builtins(task: str, other_tasks=()):
    forbidden = FORBIDDEN_BUILTINS.get(task)
    if forbidden is None:
        yield
        return
    hits: list[str] = []
    started: list[str] = []
    codes = {f.__code__ for f in forbidden.python_functions}
    files = forbidden.python_files
    c_functions = forbidden.c_functions
    elsewhere = _codes_of(other_tasks)

    def excused(frame) -> bool:
        # a built-in called by the answer to another task is that task's to answer for
        return _inside(frame, elsewhere)

    # Called for every Python and C call in the block, so by identity in sets: an id stands for the
    # object while it lives, and these live as long as the module (c_functions, _STARTERS) does.
    c_ids = frozenset(map(id, c_functions))

    def profile(frame, event, arg):
        if event == "call":
            code = frame.f_code
            if (code in codes or code.co_filename in files) and not excused(frame.f_back):
                hits.append(f"{code.co_filename.rsplit('/', 1)[-1]}:{code.co_name}")
        elif event == "c_call":
            if id(arg) in c_ids:
                if not excused(frame):  # an overload of torch.ops.aten has no name of its own
                    hits.append(getattr(arg, "__name__", "") or "an operator of torch.ops.aten")
            elif id(arg) in _STARTER_IDS:
                started.append(getattr(arg, "__name__", repr(arg)))

    previous = sys.getprofile()
    sys.setprofile(profile)
    watched_ops = forbidden.aten_ops if forbidden.watch_dispatch else frozenset()
    recorder = _DispatchRecorder(watched_ops, hits, excused) if watched_ops else None
    try:
        if recorder is not None:
            with recorder:
                yield
        else:
            yield
    finally:
        tampered = sys.getprofile() is not profile
        sys.setprofile(previous)
    # (threads of PyTorch's own C++ pool are not counted: they start outside Python's view)
    if started:
        raise ForbiddenBuiltinError(
            f"{task}: the code under test started a process or thread ({started[0]}); "
            "the grader cannot watch code running there for the built-in the task replaces, so this test "
            "earns no points. Compute in the calling thread, without threads or subprocesses."
        )
    if tampered:
        raise ForbiddenBuiltinError(
            f"{task}: the code under test replaced the profiler hook that the grader uses; "
            "this test cannot be trusted and earns no points."
        )
    if hits:
        raise ForbiddenBuiltinError(
            f"{task} calls {forbidden.description} (seen: {hits[0]}). Re-implementing it is the "
            "exercise, so this test earns no points. Write it with basic tensor operations."
        )


@contextlib.contextmanager
def graded(task: str, other_tasks=()):
    """Run student code for a graded test of ``task``.

    Inside the block warnings are silenced, stderr is captured (and
    discarded), and any call of the built-in that ``task`` re-implements
    raises :class:`ForbiddenBuiltinError` when the block ends.

    ``other_tasks``: the student's answers to other tasks that ``task``'s answer
    may call (``perplexity`` reuses ``cross_entropy``). A built-in called while
    one of them runs is charged to its own task, whose tests catch it, so one
    mistake does not cost the points of two tasks.
    """
    captured = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stderr(captured):
            with _watch_for_builtins(task, other_tasks):
                yield

