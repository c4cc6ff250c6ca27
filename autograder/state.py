"""The saved grading state: one JSON file per graded (student, notebook) pair, the only input of the outputs.

``OUT/.state/<student>/<notebook>.json`` holds the pair's ``key`` (a hash of
everything its grade depends on, :mod:`autograder.grading_key`), the ``parts``
that key hashes, the ``result``, and what happened to the grade since it was
first given: the last re-grade (``regrade``) and the scores given by hand in
formgrader (``hand``, and ``hand_change`` once they change). Every file is
written owner-only and atomically, so a killed run leaves each state whole or
as it was.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from .grading_key import PARTS, changed_parts, key_of

if TYPE_CHECKING:  # annotations only: the gradebook and the results are not read here
    from .gradebook import HandGrades
    from .scoring import NotebookResult

__all__ = ["state_path", "write_atomic", "load_state", "load_states", "save_state", "is_current", "graded_state",
           "regrade_record", "record_hand_changes"]

#: What a re-grade keeps of the state before it: what was graded by hand is not graded again.
KEPT_BY_REGRADE = ("hand", "hand_change")


def state_path(out: Path, student: str, notebook: str) -> Path:
    return out / ".state" / student / f"{notebook}.json"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` owner-only, replacing it only once the new file is complete."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def load_state(path: Path) -> dict | None:
    """The state saved at ``path``; None when there is none or it cannot be read."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def load_states(out: Path, pairs: list) -> list[dict]:
    """The states of ``pairs`` ((student, notebook)), in sorted order; every pair must have one."""
    states = []
    for student, assignment in sorted(pairs):
        state = load_state(state_path(out, student, assignment))
        if state is None:
            raise RuntimeError(f"no grade for {student}/{assignment}: run the grade command again")
        states.append(state)
    return states


def save_state(out: Path, student: str, notebook: str, state: dict) -> None:
    write_atomic(state_path(out, student, notebook), json.dumps(state, sort_keys=True, indent=1))


def is_current(state: dict | None, parts: dict) -> bool:
    """Whether ``state`` holds a grade of exactly these inputs (its key is the key of ``parts``)."""
    return state is not None and state.get("key") == key_of(parts)


def graded_state(parts: dict, result: NotebookResult, old: dict | None) -> dict:
    """The state of a pair just graded from ``parts``; ``old``, its state before (None for a first
    grade), gives the hand grades it keeps and the re-grade record (``regrade``)."""
    state = {"key": key_of(parts), "parts": parts, "result": asdict(result)}
    for kept in KEPT_BY_REGRADE:
        if isinstance(old, dict) and kept in old:
            state[kept] = old[kept]
    regrade = regrade_record(old, parts)
    if regrade is not None:
        state["regrade"] = regrade
    return state


def regrade_record(old: dict | None, parts: dict) -> dict | None:
    """What a re-grade changed, kept in the pair's state for ``regrade.csv``; None for a first grade."""
    if not isinstance(old, dict) or not isinstance(old.get("result"), dict):
        return None
    before = old["result"]
    if "parts" not in old:
        why = ["unknown (graded before re-grades were recorded)"]
    else:
        why = [PARTS[name] for name in changed_parts(old["parts"], parts)] or ["nothing (--force)"]
    tests = {t.get("grade_id"): [t.get("score", 0.0), t.get("status", "")] for t in before.get("tests", [])
             if isinstance(t, dict)}
    return {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "changed": why,
            "score": before.get("score", 0.0), "status": before.get("status", ""), "tests": tests}


def record_hand_changes(out: Path, results: list[NotebookResult], states: list[dict],
                        hand: dict[tuple[str, str], HandGrades]) -> None:
    """Keep the hand-graded scores each pair was last rendered with in its state, and when they
    change (no re-run: they are not part of the grading key), what they were and when."""
    for r, state in zip(results, states):
        mine = hand.get((r.student_id, r.notebook))
        if mine is None or not mine.scores:
            continue
        now = dict(sorted(mine.scores.items()))
        before = state.get("hand")
        if before == now:
            continue
        if isinstance(before, dict):
            state["hand_change"] = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "before": before}
        state["hand"] = now
        save_state(out, r.student_id, r.notebook, state)
