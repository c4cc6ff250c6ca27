"""Translations of the release: one UTF-8 markdown file per notebook, one block per plain markdown cell.

``solutions/NN_topic/NN_topic.zh.md`` holds, for every plain markdown cell of the
English source, a marker ``<!-- cell: CELL_ID en: FINGERPRINT -->`` and the
translation under it. The fingerprint is of the English text the block was
translated from, so an English edit makes the block *stale* and the release
names it, instead of shipping a translation of older prose.

    python -m autograder.translations fingerprints NOTEBOOK.ipynb   # the markers, to paste
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from lmtrain.notebook import cell_source, nbgrader_meta

from .course import TranslationError

__all__ = [
    "Block",
    "FINGERPRINT_COMMAND",
    "fingerprint",
    "translatable_cells",
    "translation_path",
    "read_translation",
    "translation_problems",
    "translate_notebook",
]


# <!-- cell: CELL_ID en: FINGERPRINT -->; the fingerprint is of the English cell the block translates.
_MARKER = re.compile(r"^<!-- cell: (?P<id>\S+) en: (?P<fp>[0-9a-f]{16}) -->$")
FINGERPRINT_COMMAND = "python -m autograder.translations fingerprints NOTEBOOK.ipynb"


@dataclass(frozen=True)
class Block:
    cell_id: str
    fingerprint: str  # of the English text this block was translated from
    text: str
    line: int  # of its marker in the translation file, for error messages


def fingerprint(text: str) -> str:
    """First 16 hex digits of the SHA-256 of a cell's source (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def translatable_cells(notebook: dict) -> list[dict]:
    """The plain markdown cells, in order: those a translation replaces.

    Markdown cells with nbgrader roles (answer, graded, task or read-only cells) are
    checksummed or graded, so they stay byte-identical in every edition.
    """
    return [
        cell for cell in notebook["cells"]
        if cell["cell_type"] == "markdown"
        and not any(nbgrader_meta(cell).get(role) for role in ("solution", "grade", "task", "locked"))
    ]


def translation_path(source: Path, language: str) -> Path:
    """``solutions/NN/NN.ipynb`` -> ``solutions/NN/NN.zh.md``."""
    return source.with_name(f"{source.stem}.{language}.md")


def read_translation(path: Path) -> list[Block]:
    """The blocks of a translation file, in file order; a file that does not parse raises."""
    lines = path.read_text(encoding="utf-8").split("\n")
    blocks, current, body = [], None, []

    def close():
        if current is not None:
            blocks.append(Block(current[0], current[1], "\n".join(body).strip("\n"), current[2]))

    for number, line in enumerate(lines, start=1):
        match = _MARKER.match(line.rstrip("\r"))
        if match:
            close()
            current, body = (match["id"], match["fp"], number), []
        elif line.lstrip().startswith("<!-- cell:"):
            raise TranslationError(
                f"{path.name}, line {number}: a malformed marker {line.strip()!r}. "
                "Write it as <!-- cell: CELL_ID en: FINGERPRINT --> (16 lower-case hex digits)."
            )
        elif current is None:
            if line.strip():
                raise TranslationError(
                    f"{path.name}, line {number}: text before the first <!-- cell: ... --> marker. "
                    "Every line of a translation belongs to the block of one source cell."
                )
        else:
            body.append(line)
    close()
    return blocks


def translation_problems(notebook: dict, blocks: list[Block], label: str, source_label: str) -> list[str]:
    """Everything that keeps ``blocks`` from being a current translation of ``notebook``.

    ``label`` names the translation file and ``source_label`` the English notebook in the
    messages. An empty list means: one block per plain markdown cell, in notebook order,
    each translated from the cell's present English text.
    """
    problems = []
    cells = translatable_cells(notebook)
    wanted = {cell["id"]: cell for cell in cells}
    seen = {}
    for block in blocks:
        where = f"{label}, line {block.line}, cell {block.cell_id}"
        if block.cell_id in seen:
            problems.append(f"{where}: a second block for this cell (the first is at line {seen[block.cell_id]}); keep one.")
            continue
        seen[block.cell_id] = block.line
        if block.cell_id not in wanted:
            problems.append(
                f"{where}: {source_label} has no plain markdown cell with this id (deleted, renamed, "
                "or an answer/graded cell, which is never translated); remove the block or re-key it."
            )
            continue
        now = fingerprint(cell_source(wanted[block.cell_id]))
        if block.fingerprint != now:
            problems.append(
                f"{where}: stale. The English cell changed since it was translated "
                f"(fingerprint {block.fingerprint}, now {now}). Translate the new English of cell "
                f"{block.cell_id} in {source_label}, then set its marker to <!-- cell: {block.cell_id} en: {now} -->."
            )
        if not block.text.strip():
            problems.append(f"{where}: the block is empty; write the translation of the cell.")
    for cell in cells:
        if cell["id"] not in seen:
            problems.append(
                f"{label}: no block for cell {cell['id']} of {source_label}; add "
                f"<!-- cell: {cell['id']} en: {fingerprint(cell_source(cell))} --> and its translation."
            )
    order = [b.cell_id for b in blocks if b.cell_id in wanted]
    expected = [c["id"] for c in cells if c["id"] in seen]
    if not problems and order != expected:
        problems.append(f"{label}: blocks are not in notebook order; order them as the cells are: {', '.join(expected)}.")
    return problems


def translate_notebook(notebook: dict, blocks: list[Block]) -> dict:
    """A copy of ``notebook`` whose plain markdown cells with a block carry its text.

    Call :func:`translation_problems` first: this only substitutes. Cells without a
    block (the release header when a notebook's own blocks are applied) are kept.
    """
    by_id = {block.cell_id: block.text for block in blocks}
    translated = copy.deepcopy(notebook)
    for cell in translatable_cells(translated):
        if cell["id"] in by_id:
            cell["source"] = by_id[cell["id"]]
    return translated


def _print_fingerprints(paths: list[str]) -> int:
    """``python -m autograder.translations fingerprints NB.ipynb``: the marker line of each plain markdown cell."""
    for path in paths:
        for cell in translatable_cells(json.loads(Path(path).read_text(encoding="utf-8"))):
            print(f"<!-- cell: {cell['id']} en: {fingerprint(cell_source(cell))} -->")
    return 0


if __name__ == "__main__":
    import sys

    if len(sys.argv) < 3 or sys.argv[1] != "fingerprints":
        print(f"usage: {FINGERPRINT_COMMAND}", file=sys.stderr)
        sys.exit(2)
    sys.exit(_print_fingerprints(sys.argv[2:]))
