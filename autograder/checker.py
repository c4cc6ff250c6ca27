"""The trusted side of a graded cell: its ``setup`` and ``check`` sections, run in the grader.

This process never executes submission code. It sees the student's work only
as the plain values a drive section sent back (decoded by
:mod:`autograder.protocol`), so what a check expects (inputs, reference
values, helpers) is computed here and cannot be changed from the sandbox.

Each graded cell's sections run in a fresh namespace made of the notebook's
provided definitions (imports, functions and classes of its instructor code
cells) and of its *helper cells* (0-point graded cells, whose definitions,
hidden ones included, every later graded cell can use), then the values
returned by the drive sections. Execution is serialised by one lock and the
random generators are seeded per cell, so a check gives the same answer
whatever else the grader is doing.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import threading
import traceback
from dataclasses import dataclass

from .runner import execute, seed_everything, use_section_threads

__all__ = ["CHECK_LOCK", "CheckerNamespace", "HostOutcome", "cell_seed", "run_host_section", "seed_everything"]

#: One grader-side section at a time: checks share the process's random generators and stdout.
CHECK_LOCK = threading.RLock()


def cell_seed(grade_id: str) -> int:
    """The seed both sides use before a graded cell (stable across runs and machines)."""
    return int.from_bytes(hashlib.sha256(grade_id.encode("utf-8")).digest()[:4], "little")


@dataclass
class HostOutcome:
    error_type: str = ""
    error: str = ""
    stdout: str = ""


def run_host_section(source: str, namespace: dict, name: str, seed: int | None = None) -> HostOutcome:
    """Execute one setup or check section here; its exception, if any, is the failure message."""
    out = io.StringIO()
    outcome = HostOutcome()
    with CHECK_LOCK:
        use_section_threads()  # the sandbox's arithmetic, bit for bit (see SECTION_THREADS)
        if seed is not None:
            seed_everything(seed)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                execute(source, namespace, f"<check {name}>")
        except Exception as exc:  # noqa: BLE001 - an assertion, or a check that could not read a value
            outcome.error_type = type(exc).__name__
            outcome.error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    outcome.stdout = out.getvalue()
    return outcome


class CheckerNamespace:
    """The starting namespace of the grader-side sections of one source notebook."""

    def __init__(self, provided: str, helper_sections: list):
        self._provided = provided
        self._helpers = helper_sections  # [(grade_id, Section)] of the helper cells, in order
        self._base: dict | None = None
        self.error = ""

    def _build(self) -> dict:
        # zip(cases, results) must not pass by comparing nothing: a drive that sent back fewer
        # results than the grader built cases for fails its check instead
        base: dict = {"__name__": "__checker__", "zip": functools.partial(zip, strict=True)}
        with CHECK_LOCK:
            try:
                exec(compile(self._provided, "<provided definitions>", "exec"), base)
            except Exception as exc:  # noqa: BLE001 - an instructor's bug: every check will fail and say so
                self.error = f"the notebook's provided code failed in the grader: {type(exc).__name__}: {exc}"
            for grade_id, section in self._helpers:
                if section.kind == "drive":
                    continue
                outcome = run_host_section(section.source, base, grade_id)
                if outcome.error:
                    self.error = f"helper cell {grade_id} failed in the grader: {outcome.error}"
        return base

    def fresh(self) -> dict:
        if self._base is None:
            self._base = self._build()
        return dict(self._base)

    @property
    def base_names(self) -> set:
        """Names the grader defines itself (provided code, helpers): never taken from the sandbox."""
        if self._base is None:
            self._base = self._build()
        return set(self._base)
