"""Translations (solutions/NN/NN.zh.md): current, complete, and faithful to what they translate.

A translation block is keyed to the English cell it translates by the cell id and a fingerprint
of the English text; these tests fail, naming the notebook and the cell, when the English changed
since (stale), when a cell has no block, or when a block has no cell. They also check what a
translator must never change: maths, code, numbers, links, heading levels, and the glossary's terms.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from autograder.course import HEADER, REPO_ROOT, assignments
from autograder.release import TranslationError, generate_release
from autograder.translations import (
    fingerprint,
    read_translation,
    translatable_cells,
    translate_notebook,
    translation_path,
    translation_problems,
)
from lmtrain.notebook import cell_source

ASSIGNMENTS = assignments(REPO_ROOT)
GLOSSARY = REPO_ROOT / "solutions" / "GLOSSARY.zh.md"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _source(assignment: str) -> Path:
    return REPO_ROOT / "solutions" / assignment / f"{assignment}.ipynb"


def _pairs():
    """(label, English notebook, translation file) for every notebook and the release header."""
    pairs = [(assignment, _source(assignment), translation_path(_source(assignment), "zh")) for assignment in ASSIGNMENTS]
    return pairs + [("release_header", HEADER, translation_path(HEADER, "zh"))]


PAIRS = _pairs()
PAIR_IDS = [label for label, _, _ in PAIRS]


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _notebook(*cells) -> dict:
    """A minimal notebook from (id, type, source[, nbgrader metadata]) tuples."""
    out = []
    for cell_id, kind, source, *meta in cells:
        cell = {"cell_type": kind, "id": cell_id, "metadata": {"nbgrader": meta[0]} if meta else {}, "source": source}
        out.append(cell)
    return {"cells": out, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _file(tmp_path: Path, blocks: list[tuple[str, str, str]]) -> Path:
    path = tmp_path / "nb.zh.md"
    path.write_text("".join(f"<!-- cell: {cid} en: {fp} -->\n{text}\n\n" for cid, fp, text in blocks), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------
# The committed translations
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("label,english,translation", PAIRS, ids=PAIR_IDS)
def test_translation_is_current(label, english, translation):
    """Fails naming each stale, missing or orphan block: the message says how to fix it."""
    assert translation.is_file(), f"{translation.relative_to(REPO_ROOT)} is missing: translate {english.name} into it"
    problems = translation_problems(_load(english), read_translation(translation), translation.name, english.name)
    assert not problems, f"{len(problems)} translation problem(s):\n" + "\n".join(problems)


def test_fingerprint_is_the_documented_sha256_prefix():
    # Independent oracles: SHA-256 of the empty string and of "abc" (FIPS 180-2 test vectors).
    assert fingerprint("") == "e3b0c44298fc1c14"
    assert fingerprint("abc") == "ba7816bf8f01cfea"
    assert fingerprint("交叉熵") == hashlib.sha256("交叉熵".encode("utf-8")).hexdigest()[:16]


def _segments(text: str) -> dict[str, Counter]:
    """What a translation must keep: fenced code, inline code, display and inline maths, link
    targets, numbers in the prose, and the level of each heading."""
    found = {}
    text, found["fenced code"] = _take(r"```.*?```", text, re.S)
    text, found["inline code"] = _take(r"`[^`\n]+`", text)
    text, found["display maths"] = _take(r"\$\$.+?\$\$", text, re.S)
    text, found["inline maths"] = _take(r"\$[^$]+\$", text)
    text, found["link targets"] = _take(r"\]\([^)\s]+\)", text)
    found["numbers"] = Counter(re.findall(r"(?<![A-Za-z0-9_.])\d+(?:\.\d+)?", text))
    found["heading levels"] = Counter(m.group(1) for m in re.finditer(r"^(#+) ", text, re.M))
    return found


def _take(pattern: str, text: str, flags: int = 0) -> tuple[str, Counter]:
    # Whitespace inside a segment may be re-wrapped by the translator; nothing else may change.
    parts = Counter(re.sub(r"\s+", " ", m) for m in re.findall(pattern, text, flags))
    return re.sub(pattern, " ", text, flags=flags), parts


def _blocks_with_english(english: Path, translation: Path):
    """(block, English text) of the current blocks; stale ones fail test_translation_is_current alone."""
    cells = {cell["id"]: cell_source(cell) for cell in translatable_cells(_load(english))}
    return [(block, cells[block.cell_id]) for block in read_translation(translation)
            if block.cell_id in cells and block.fingerprint == fingerprint(cells[block.cell_id])]


@pytest.mark.parametrize("label,english,translation", PAIRS, ids=PAIR_IDS)
def test_translation_keeps_maths_code_numbers_and_links(label, english, translation):
    mismatches = []
    for block, english_text in _blocks_with_english(english, translation):
        want, got = _segments(english_text), _segments(block.text)
        for kind in want:
            if want[kind] != got[kind]:
                lost, added = want[kind] - got[kind], got[kind] - want[kind]
                mismatches.append(f"{translation.name}, cell {block.cell_id}: {kind} differ from the English "
                                  f"(missing {sorted(lost)[:4]}, extra {sorted(added)[:4]})")
    assert not mismatches, "keep these exactly as in the English cell:\n" + "\n".join(mismatches)


@pytest.mark.parametrize("label,english,translation", PAIRS, ids=PAIR_IDS)
def test_every_block_is_translated(label, english, translation):
    untranslated = [b.cell_id for b, _ in _blocks_with_english(english, translation) if not CJK.search(b.text)]
    assert not untranslated, f"{translation.name}: blocks without any Chinese text (left in English?): {untranslated}"


def _glossary() -> list[tuple[str, list[str]]]:
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 2 and cells[0] not in ("English", "") and not set(cells[0]) <= set("-:"):
            rows.append((cells[0], [t.strip() for t in cells[1].split("/")]))
    return rows


def _english_term(term: str) -> re.Pattern:
    # A space in a term also matches a hyphen ("learning rate" in "learning-rate schedule"); a hyphen
    # matches only itself ("in-place" is not the "in place" of "in place of"). Plurals are allowed.
    words = [re.escape(w) for w in term.split()]
    return re.compile(r"(?<![A-Za-z])" + r"[\s-]+".join(words) + r"(?:s|es)?(?![A-Za-z])", re.I)


def test_glossary_is_a_table_with_the_core_terms():
    terms = dict(_glossary())
    for english, chinese in [("cross-entropy", "交叉熵"), ("perplexity", "困惑度"), ("learning-rate schedule", "学习率调度"),
                             ("gradient clipping", "梯度裁剪"), ("checkpoint", "检查点"), ("token", "词元")]:
        assert chinese in terms.get(english, []), f"{GLOSSARY.name} lacks the row {english} | {chinese}"


@pytest.mark.parametrize("label,english,translation", PAIRS, ids=PAIR_IDS)
def test_translation_follows_the_glossary(label, english, translation):
    misses = []
    for block, english_text in _blocks_with_english(english, translation):
        prose = english_text
        for pattern in (r"```.*?```", r"`[^`\n]+`", r"\$\$.+?\$\$", r"\$[^$]+\$", r"\]\([^)]*\)"):
            prose = re.sub(pattern, " ", prose, flags=re.S)
        for term, chinese in _glossary():
            if _english_term(term).search(prose) and not any(c in block.text for c in chinese):
                misses.append(f"{translation.name}, cell {block.cell_id}: '{term}' is translated as {' / '.join(chinese)}")
    assert not misses, f"terms not following {GLOSSARY.name}:\n" + "\n".join(misses)


def test_the_glossary_check_catches_a_wrong_term():
    english = "Compute the cross-entropy of the logits and its perplexity."
    assert _english_term("cross-entropy").search(english) and _english_term("perplexity").search(english)
    assert not _english_term("loss").search("lossless compression")
    assert _english_term("learning rate").search("a learning-rate schedule")
    assert not _english_term("in-place").search("a reference put in place of yours")


# ---------------------------------------------------------------------------
# The check itself, on small hand-made notebooks
# ---------------------------------------------------------------------------

INTRO, MATHS = "# 1. Title\n\nSome prose.", "## The math\n\n$x = 1$"
SOURCE = _notebook(("intro", "markdown", INTRO), ("code", "code", "x = 1"), ("maths", "markdown", MATHS),
                   ("answer_md", "markdown", "YOUR ANSWER", {"grade": True, "solution": True, "grade_id": "q", "points": 1}))


def _current(tmp_path):
    return _file(tmp_path, [("intro", fingerprint(INTRO), "# 1. 标题\n\n一些文字。"), ("maths", fingerprint(MATHS), "## 数学\n\n$x = 1$")])


def test_a_current_translation_has_no_problems(tmp_path):
    blocks = read_translation(_current(tmp_path))
    assert [(b.cell_id, b.text) for b in blocks] == [("intro", "# 1. 标题\n\n一些文字。"), ("maths", "## 数学\n\n$x = 1$")]
    assert translation_problems(SOURCE, blocks, "nb.zh.md", "nb.ipynb") == []


def test_answer_and_graded_markdown_cells_are_never_translated():
    assert [c["id"] for c in translatable_cells(SOURCE)] == ["intro", "maths"]


def test_a_stale_block_is_named_with_its_fix(tmp_path):
    changed = copy.deepcopy(SOURCE)
    changed["cells"][2]["source"] = MATHS + "\n\nA new sentence."
    problems = translation_problems(changed, read_translation(_current(tmp_path)), "nb.zh.md", "nb.ipynb")
    assert len(problems) == 1
    new = hashlib.sha256((MATHS + "\n\nA new sentence.").encode()).hexdigest()[:16]
    assert "cell maths" in problems[0] and "stale" in problems[0] and "nb.zh.md" in problems[0]
    assert f"<!-- cell: maths en: {new} -->" in problems[0], problems[0]


def test_a_missing_block_is_named(tmp_path):
    path = _file(tmp_path, [("intro", fingerprint(INTRO), "# 1. 标题")])
    problems = translation_problems(SOURCE, read_translation(path), "nb.zh.md", "nb.ipynb")
    assert len(problems) == 1 and "no block for cell maths" in problems[0], problems


def test_a_block_for_a_deleted_cell_is_named(tmp_path):
    path = _file(tmp_path, [("intro", fingerprint(INTRO), "# 1. 标题"), ("maths", fingerprint(MATHS), "## 数学"),
                            ("gone", "0123456789abcdef", "删掉的单元格")])
    problems = translation_problems(SOURCE, read_translation(path), "nb.zh.md", "nb.ipynb")
    assert len(problems) == 1 and "cell gone" in problems[0] and "remove the block" in problems[0], problems


def test_a_block_for_a_graded_cell_is_refused(tmp_path):
    path = _file(tmp_path, [("intro", fingerprint(INTRO), "# 1. 标题"), ("maths", fingerprint(MATHS), "## 数学"),
                            ("answer_md", fingerprint("YOUR ANSWER"), "你的答案")])
    problems = translation_problems(SOURCE, read_translation(path), "nb.zh.md", "nb.ipynb")
    assert len(problems) == 1 and "cell answer_md" in problems[0], problems


def test_duplicate_empty_and_out_of_order_blocks_are_named(tmp_path):
    twice = _file(tmp_path, [("intro", fingerprint(INTRO), "一"), ("intro", fingerprint(INTRO), "二"), ("maths", fingerprint(MATHS), "三")])
    assert any("second block" in p for p in translation_problems(SOURCE, read_translation(twice), "f", "nb"))
    empty = _file(tmp_path, [("intro", fingerprint(INTRO), ""), ("maths", fingerprint(MATHS), "三")])
    assert any("empty" in p and "intro" in p for p in translation_problems(SOURCE, read_translation(empty), "f", "nb"))
    swapped = _file(tmp_path, [("maths", fingerprint(MATHS), "三"), ("intro", fingerprint(INTRO), "一")])
    assert [p for p in translation_problems(SOURCE, read_translation(swapped), "f", "nb") if "order" in p]


def test_malformed_files_say_how_to_write_a_marker(tmp_path):
    path = tmp_path / "bad.zh.md"
    path.write_text("<!-- cell: intro en: XYZ -->\n文字\n", encoding="utf-8")
    with pytest.raises(TranslationError, match=r"line 1.*<!-- cell: CELL_ID en: FINGERPRINT -->"):
        read_translation(path)
    path.write_text("stray text\n<!-- cell: intro en: 0123456789abcdef -->\n文字\n", encoding="utf-8")
    with pytest.raises(TranslationError, match="before the first"):
        read_translation(path)


def test_translate_replaces_only_plain_markdown_cells(tmp_path):
    translated = translate_notebook(SOURCE, read_translation(_current(tmp_path)))
    assert [cell_source(c) for c in translated["cells"]] == ["# 1. 标题\n\n一些文字。", "x = 1", "## 数学\n\n$x = 1$", "YOUR ANSWER"]
    assert translated["cells"][3] == SOURCE["cells"][3] and translated["cells"][1] == SOURCE["cells"][1]
    assert cell_source(SOURCE["cells"][0]) == INTRO, "translate_notebook must not modify its input"


# ---------------------------------------------------------------------------
# The release refuses a stale translation (what an instructor sees after editing English prose)
# ---------------------------------------------------------------------------


def test_release_of_a_changed_english_cell_fails_naming_notebook_and_cell(tmp_path):
    name = ASSIGNMENTS[0]
    root = tmp_path / "course"
    shutil.copytree(REPO_ROOT / "solutions" / name, root / "solutions" / name)
    source = root / "solutions" / name / f"{name}.ipynb"
    notebook = _load(source)
    # A translation that is current for this copy, whatever the state of the committed one.
    cells = translatable_cells(notebook)
    _file(tmp_path, [(c["id"], fingerprint(cell_source(c)), "译文：" + cell_source(c)) for c in cells]).replace(
        translation_path(source, "zh"))
    cell = cells[1]
    cell["source"] = cell_source(cell) + "\n\nA sentence the Chinese edition does not have yet."
    source.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(TranslationError) as raised:
        generate_release(root, [name], editions=("en", "zh"))
    message = str(raised.value)
    about = [line for line in message.splitlines() if f"solutions/{name}/{name}.zh.md" in line]
    assert len(about) == 1, f"exactly the changed cell is named:\n{message}"
    assert f"cell {cell['id']}" in about[0] and "stale" in about[0], message
    assert f"<!-- cell: {cell['id']} en: {fingerprint(cell_source(cell))} -->" in about[0], message
    # The English edition alone still releases: the instructor is never blocked on English prose.
    release = generate_release(root, [name], editions=("en",))
    try:
        assert (release / name / f"{name}.ipynb").is_file() and not (release.parent / "notebooks-zh").exists()
    finally:
        shutil.rmtree(release.parent, ignore_errors=True)
