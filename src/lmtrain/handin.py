"""``make handin``: zip a student's notebooks for hand-in, once they are known to be gradable.

Before anything is written, each notebook is checked against the release (``release_manifest.json``):
its released file name, valid JSON, and the cells with nbgrader grade ids (answers and graded
tests) neither deleted, added, copied nor re-ordered, since the grader finds answers and tests by
those ids. A notebook may be answered in either edition; answers in both for the same notebook
stop the hand-in until the student picks one (``EDITION=en|zh``), as nothing says which is
meant. The zip holds one ``NN_topic.ipynb`` per notebook, which ``python -m autograder grade``
reads as one student's submission. An earlier ``handin.zip`` is kept under a dated name, never
overwritten.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .loader import repo_root
from .manifest import EDITIONS, NotebookManifest, answer_sources, is_unanswered, load_manifest
from .notebook import cells_of

__all__ = ["Choice", "Plan", "HandinError", "plan_handin", "write_zip", "main"]

ZIP_NAME = "handin.zip"


class HandinError(RuntimeError):
    """The hand-in cannot be written; the message says what to fix."""


@dataclass(frozen=True)
class Choice:
    manifest: NotebookManifest
    path: Path
    edition: str
    unanswered: tuple[str, ...]  # task titles with an answer still as released


@dataclass
class Plan:
    choices: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # stop the hand-in
    warnings: list = field(default_factory=list)  # said, but the hand-in goes on


def _read(path: Path) -> tuple[dict | None, str]:
    """(notebook, "") or (None, why it is not a readable notebook)."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"cannot be read ({exc})"
    except ValueError as exc:
        return None, f"is not valid JSON ({exc}), so it cannot be graded"
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        return None, "is JSON but not a Jupyter notebook (no list of cells)"
    return notebook, ""


def _unanswered_tasks(notebook: dict, manifest: NotebookManifest) -> tuple[str, ...]:
    sources = answer_sources(notebook)
    stubbed = {gid for gid, stub in manifest.stubs.items() if gid not in sources or is_unanswered(sources[gid], stub)}
    return tuple(task.title for task in manifest.tasks if any(a in stubbed for a in task.answers))


def _answered(notebook: dict, manifest: NotebookManifest) -> bool:
    sources = answer_sources(notebook)
    return any(gid in sources and not is_unanswered(sources[gid], stub) for gid, stub in manifest.stubs.items())


def _cell_problems(notebook: dict, manifest: NotebookManifest, label: str) -> list[str]:
    """What changed in the cells with grade ids, against the release."""
    found = [cell.grade_id for cell in cells_of(notebook) if cell.grade_id]
    wanted = list(manifest.grade_ids)
    if found == wanted:
        return []
    missing = [gid for gid in wanted if gid not in found]
    added = [gid for gid in dict.fromkeys(found) if gid not in wanted]
    copied = [gid for gid, n in Counter(found).items() if n > 1 and gid in wanted]
    said = []
    if missing:
        said.append(f"deleted: {', '.join(missing)}")
    if copied:
        said.append(f"copied (more than one cell with the id): {', '.join(copied)}")
    if added:
        said.append(f"not in the release: {', '.join(added)}")
    if not said:
        said.append("re-ordered: the release has them in the order " + ", ".join(wanted))
    return [f"{label}: cells with grade ids were changed ({'; '.join(said)}). The grader finds your answers "
            "and its tests by these ids. Undo it in JupyterLab (Edit > Undo Cell Operation), or copy your "
            "answers into a fresh copy of the released notebook, and save."]


def _strays(folder: Path, manifest: NotebookManifest) -> list[str]:
    """Other notebooks beside the released one (a renamed copy holding the student's work?)."""
    here = folder / manifest.name
    if not here.is_dir():
        return []
    return [f"{folder.name}/{manifest.name}/{p.name} is not handed in: only {manifest.name}.ipynb is. If your "
            f"answers are in it, copy them into {manifest.name}.ipynb."
            for p in sorted(here.glob("*.ipynb")) if p.name != f"{manifest.name}.ipynb"]


def _running_labs(folders: list[Path]) -> list[str]:
    """JupyterLab servers running on these folders: their open tabs may hold unsaved changes.

    Jupyter writes a ``jpserver-<pid>.json`` with its root folder to its runtime folder while a
    server runs; a stale file (its process gone) is ignored.
    """
    try:
        from jupyter_core.paths import jupyter_runtime_dir
    except ImportError:
        return []
    roots = {folder.resolve() for folder in folders} | {folder.resolve().parent for folder in folders}
    found = []
    for info in sorted(Path(jupyter_runtime_dir()).glob("jpserver-*.json")):
        try:
            data = json.loads(info.read_text(encoding="utf-8"))
            pid, root = int(data["pid"]), Path(data["root_dir"]).resolve()
            os.kill(pid, 0)
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if root in roots:
            found.append(f"JupyterLab is running on {root} (process {pid})")
    return found


def plan_handin(root: Path, edition: str | None = None, manifests: list[NotebookManifest] | None = None) -> Plan:
    """Which file of each notebook to hand in, and what stops or is worth saying."""
    if edition is not None and edition not in EDITIONS:
        raise HandinError(f"unknown EDITION={edition}: use EDITION=en (notebooks/) or EDITION=zh (notebooks-zh/).")
    manifests = manifests if manifests is not None else load_manifest()
    folders = {name: root / folder for name, folder in EDITIONS.items()}
    plan = Plan()
    found: dict[str, dict[str, tuple[dict | None, str]]] = {}
    conflicts = []
    for manifest in manifests:
        found[manifest.name] = {ed: _read(manifest.file(folder)) for ed, folder in folders.items()
                                if manifest.file(folder).is_file()}
        answered = [ed for ed, (nb, _) in found[manifest.name].items() if nb is not None and _answered(nb, manifest)]
        if len(answered) > 1 and edition is None:
            conflicts.append(manifest.name)
        for folder in folders.values():
            plan.warnings.extend(_strays(folder, manifest))
    if conflicts:
        plan.problems.append(
            f"{', '.join(conflicts)} hold(s) answers in both notebooks/ and notebooks-zh/, and only one can be "
            "handed in. Say which: `make handin EDITION=en` or `make handin EDITION=zh` (for each notebook with "
            "answers in both, that edition's file is taken; the others are taken from wherever they are answered).")
        return plan
    used = Counter(ed for name, files in found.items() for ed, (nb, _) in files.items()
                   if nb is not None and _answered(nb, next(m for m in manifests if m.name == name)))
    fallback = edition or ("zh" if used["zh"] > used["en"] else "en")
    for manifest in manifests:
        files = found[manifest.name]
        answered = [ed for ed, (nb, _) in files.items() if nb is not None and _answered(nb, manifest)]
        pick = edition if edition in answered else (answered[0] if answered else fallback)
        if pick not in files:
            pick = next(iter(files), None)
        if pick is None:
            plan.problems.append(
                f"{EDITIONS['en']}/{manifest.name}/{manifest.name}.ipynb is missing (and so is the Chinese edition's): "
                "the grader finds a notebook by its released name. Rename your copy back to "
                f"{manifest.name}.ipynb, or restore the released file (git checkout -- {EDITIONS['en']}/{manifest.name}).")
            continue
        path = manifest.file(folders[pick])
        label = f"{EDITIONS[pick]}/{manifest.name}/{manifest.name}.ipynb"
        notebook, why = files[pick]
        if notebook is None:
            plan.problems.append(f"{label} {why}. Open it in JupyterLab; if it does not open, restore the released "
                                 "file from git and copy your answers back in.")
            continue
        plan.problems.extend(_cell_problems(notebook, manifest, label))
        plan.choices.append(Choice(manifest, path, pick, _unanswered_tasks(notebook, manifest)))
    return plan


def _keep_previous(target: Path) -> Path | None:
    """Move an earlier hand-in aside (``handin-<its time>.zip``): nothing is ever overwritten."""
    if not target.exists():
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(target.stat().st_mtime))
    kept = target.with_name(f"{target.stem}-{stamp}{target.suffix}")
    n = 1
    while kept.exists():
        kept = target.with_name(f"{target.stem}-{stamp}-{n}{target.suffix}")
        n += 1
    os.replace(target, kept)
    return kept


def write_zip(plan: Plan, target: Path) -> Path | None:
    """Write the chosen notebooks into ``target``; returns where an earlier ``target`` was kept."""
    fd, scratch = tempfile.mkstemp(prefix=".handin-", suffix=".zip", dir=target.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(scratch, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for choice in plan.choices:
                archive.writestr(f"{choice.manifest.name}.ipynb", choice.path.read_bytes())
        kept = _keep_previous(target)
        os.replace(scratch, target)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
    return kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lmtrain.handin", description="Zip your notebooks for hand-in.")
    parser.add_argument("--edition", default=None, help="en or zh: which edition to take where both hold answers")
    parser.add_argument("--root", type=Path, default=None, help="the workbook's top folder (default: this one)")
    parser.add_argument("--out", type=Path, default=None, help=f"the zip to write (default: ROOT/{ZIP_NAME})")
    args = parser.parse_args(argv)
    root = (args.root or repo_root()).resolve()
    target = (args.out or root / ZIP_NAME).resolve()
    print("Save your notebooks first: in JupyterLab, File > Save All. make handin zips the files as saved.")
    for lab in _running_labs([root / folder for folder in EDITIONS.values()]):
        print(f"WARNING {lab}: any tab with unsaved changes (a dot on its tab) is not in the files yet.")
    try:
        plan = plan_handin(root, args.edition or None)
    except (HandinError, OSError, ValueError) as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return 2
    for warning in plan.warnings:
        print(f"WARNING {warning}")
    if plan.problems:
        print(f"ERROR nothing was written: {len(plan.problems)} problem(s) to fix first:", file=sys.stderr)
        for problem in plan.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    kept = write_zip(plan, target)
    print()
    for choice in plan.choices:
        state = ("not answered yet: " + "; ".join(choice.unanswered)) if choice.unanswered else "every task answered"
        print(f"  {choice.manifest.name:<22} from {EDITIONS[choice.edition] + '/':<14} {state}")
    if kept is not None:
        print(f"\nYour previous hand-in was kept as {kept.name}.")
    print(f"\nWrote {target} ({len(plan.choices)} notebooks). Upload this one file where your course collects "
          "hand-ins. It holds only your notebooks; run `make check` to see their visible checks.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
