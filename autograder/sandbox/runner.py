"""The loop inside the sandbox: execute the sections the grader sends, in one namespace, and report.

It runs the student's cells, and the ``setup`` and ``drive`` sections of the
graded cells, never a ``check`` section: those, with the expected values and
the reference code, stay in the grader. A drive section's reply carries the
values of the names the grader asked for, encoded as plain data by
:mod:`autograder.protocol`. The runner is untrusted by design (the student's
code runs here), so nothing it says is believed beyond what the grader checks.
"""

from __future__ import annotations

import ast
import io
import os
import sys
import time
import traceback

from lmtrain.notebook import parse_python

from ..protocol import UnencodableValue, dumps, encode_value, loads
from ..sections import execute, seed_everything, use_section_threads
from .tamper import Definitions, Guard

__all__ = ["notebook_loop", "OutputLimitExceeded"]


class OutputLimitExceeded(BaseException):
    """Raised from print() when a notebook printed more than its budget (not an Exception, so
    ``except Exception`` in student code does not swallow it)."""


class _CappedWriter(io.TextIOBase):
    def __init__(self, budget: dict, keep: int):
        self._budget = budget
        self._keep = keep
        self.parts: list[str] = []
        self.kept = 0
        self.total = 0

    def writable(self):
        return True

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        n = len(s)
        self.total += n
        if self.kept < self._keep:
            piece = s[: self._keep - self.kept]
            self.parts.append(piece)
            self.kept += len(piece)
        self._budget["used"] += n
        if self._budget["used"] > self._budget["limit"]:
            self._budget["exceeded"] = True
            raise OutputLimitExceeded(f"the notebook printed more than {self._budget['limit']} characters")
        return n

    def flush(self):
        pass

    def text(self) -> str:
        out = "".join(self.parts)
        if self.total > self.kept:
            out += f"\n... [{self.total - self.kept} more characters not shown]"
        return out


def _is_memory_error(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("can't allocate memory" in text or "not enough memory" in text)


def _notebook_frames(exc: BaseException) -> list:
    """(cell name, line) of the traceback's frames that ran a notebook cell."""
    where = []
    for frame in traceback.extract_tb(exc.__traceback__):
        name = frame.filename
        if name.startswith("<cell ") and name.endswith(">"):
            where.append([name[6:-1], frame.lineno or 0])
    return where[-8:]


def notebook_loop(conn, limits, provided: str) -> None:
    """Receive requests, execute them in one namespace, reply to each."""
    os.environ["MPLBACKEND"] = "Agg"
    import matplotlib

    matplotlib.use("Agg")
    try:
        use_section_threads()
    except Exception:  # noqa: BLE001
        pass
    import lmtrain.loader
    import lmtrain.seeds

    from pathlib import Path as _Path

    # the student's course folder, as a path relative to the working folder: without the
    # sandbox's chroot the folders above it may not be searchable by the sandbox user
    course = os.path.normpath(os.path.join(os.getcwd(), "..", ".."))
    lmtrain.loader.repo_root = lambda: _Path(os.path.relpath(course))
    namespace: dict = {"__name__": "__main__", "__builtins__": __builtins__}
    provided_code = compile(provided, "<provided definitions>", "exec") if provided.strip() else None
    guard = Guard()
    definitions = Definitions()
    # What this loop calls, bound here before any student code runs: the module globals and the
    # guard's attributes are the submission's to rebind, these locals are not (and the guard puts
    # the objects themselves back after every cell, before anything of a reply is encoded).
    check, run_cell, encode, decode, reply_with = guard.check_and_restore, execute, encode_value, loads, _send
    recorded_cell_seed, record_cell_seed = lmtrain.seeds.current_cell_seed, lmtrain.seeds.use_cell_seed
    seen: list[str] = []  # tampering found since it was last reported (reported with a graded cell)
    in_graded = False  # between graded_begin and graded_end only the grader's sections run
    budget = {"used": 0, "limit": limits.output_bytes, "exceeded": False}
    me = os.getpid()
    real_stdout, real_stderr = sys.stdout, sys.stderr
    while True:
        try:
            message = decode(conn.recv_bytes())
        except Exception:  # noqa: BLE001 - the grader went away
            break
        op = message.get("op")
        if op == "graded_end":
            seen += check()
            reply_with(conn, {"index": message.get("index"), "tampered": sorted(set(seen))})
            seen, in_graded = [], False
            continue
        if op != "exec":
            break
        reply: dict = {"index": message.get("index"), "tampered": []}
        if message.get("graded_begin"):
            seen += check()
            # a student's function may share a helper's name: put back silently, not tampering
            seen += definitions.check_and_restore(namespace, rebinding=False)
            reply["tampered"] = sorted(set(seen))
            seen, in_graded = [], True
            if provided_code is not None:
                try:  # the grader's definitions, as they were, whatever the submission rebound
                    exec(provided_code, namespace)
                except Exception:  # noqa: BLE001
                    pass
        cell_seed = message.get("cell_seed") if type(message.get("cell_seed")) is int else None
        if type(message.get("seed")) is int:
            seed_everything(message["seed"], cell_seed)
        out = _CappedWriter(budget, limits.kept_output_chars)
        err = _CappedWriter(budget, limits.kept_output_chars)
        started = time.perf_counter()
        source = message.get("source", "")
        filename = f"<cell {message.get('name', '')}>"
        # a graded section is parsed once, for running it and for the names it binds and defines
        tree = _parsed(source, filename) if in_graded else None
        try:
            sys.stdout, sys.stderr = out, err
            run_cell(source, namespace, filename, tree)
        except OutputLimitExceeded as exc:
            reply["error_type"], reply["error"] = "OutputLimitExceeded", str(exc)
        except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt included
            reply["error_type"] = type(exc).__name__
            reply["error"] = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:4000]
            reply["where"] = _notebook_frames(exc)
            reply["memory"] = _is_memory_error(exc)
        finally:
            sys.stdout, sys.stderr = real_stdout, real_stderr
        if os.getpid() != me:  # a process the cell forked came back here: it must not talk
            os._exit(0)
        # before anything of this cell's results is read: the grader's modules and the helpers'
        # definitions as they were (what the cell changed is reported with the graded cell)
        seen += check()
        if in_graded:
            # the cell's seed, as the grader sent it: a submission that changed it changed only its own
            # side's inputs (its checks then fail, the grader drawing its own), but it is tampering all the same
            if cell_seed is not None and recorded_cell_seed() != cell_seed:
                seen.append("lmtrain.seeds (the cell's seed)")
                record_cell_seed(cell_seed)
            bound, defined = _names(tree)
            seen += definitions.check_and_restore(namespace, rebinding=True, exempt=bound)
            definitions.record(defined, namespace, bound)
        if message.get("graded_end"):  # the cell's last section: nothing else of the cell runs here
            reply["tampered"] = reply["tampered"] + sorted(set(seen))  # the opening's report, then the cell's
            seen, in_graded = [], False
        reply.update(stdout=out.text(), stderr=err.text(), seconds=round(time.perf_counter() - started, 3),
                     output_exceeded=budget["exceeded"])
        if not reply.get("error_type"):
            values, unencodable = {}, {}
            for name in message.get("exports", []):
                if name not in namespace:
                    continue
                try:
                    values[name] = encode(namespace[name])
                except UnencodableValue as exc:
                    unencodable[name] = str(exc)
                except Exception as exc:  # noqa: BLE001 - a value whose methods raise
                    unencodable[name] = f"a value that could not be read ({type(exc).__name__})"
            reply["values"], reply["unencodable"] = values, unencodable
        try:
            reply_with(conn, reply)
        except Exception:  # noqa: BLE001 - e.g. a reply too large or not encodable
            reply_with(conn, {"index": message.get("index"), "error_type": "ReplyError",
                              "error": "the results of this cell could not be sent to the grader"})
        if budget["exceeded"]:
            break


def _parsed(source: str, filename: str) -> ast.Module | None:
    """``source`` parsed; None when it does not parse (running it then reports the error)."""
    try:
        return parse_python(source, filename=filename)
    except Exception:  # noqa: BLE001
        return None


def _names(tree: ast.Module | None) -> tuple[set[str], list[str]]:
    """Every name a section may bind in the notebook's namespace (at its top level, inside its loops
    and blocks: a ``def closure()`` in a for loop, and through ``global`` in its functions), and the
    functions and classes it defines at its top level. A section that does not parse binds nothing."""
    if tree is None:
        return set(), []
    defined = [node.name for node in tree.body
               if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Global):
            names.update(node.names)
    return names, defined


def _send(conn, message: dict) -> None:
    conn.send_bytes(dumps(message))
