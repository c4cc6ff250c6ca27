"""Generate the student releases (``notebooks/``, ``notebooks-zh/``) from the sources (``solutions/``).

nbgrader's ``generate_assignment`` does the real work (solutions to stubs,
hidden tests removed, cells locked, checksums); this module runs it once in a
scratch course, so the repository's own folders are replaced only when the
whole release succeeded, and builds every edition from that one nbgrader
output:

* every edition gets each task's points written under the task's heading,
  computed from the graded cells' nbgrader ``points`` (:mod:`autograder.task_points`),
  so the numbers cannot drift from what the grader awards;
* the Chinese edition replaces only the plain markdown cells by their
  translations (``solutions/NN_topic/NN_topic.zh.md``, :mod:`autograder.translations`),
  so code, answer and graded cells, their metadata and checksums are the
  English release's, byte for byte, and one set of hidden tests grades both.

Every notebook is written in one canonical JSON form, so an unchanged source
gives a byte-identical release.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory

from lmtrain.notebook import cell_source, nbgrader_meta

from .course import HEADER, RELEASE_DIR, REPO_ROOT, SOURCE_DIR, ReleaseError, TranslationError, assignments, course_config
from .section_rules import notebook_leaks, notebook_literal_seeds
from .task_points import add_points_lines, task_points
from .translations import Block, read_translation, translatable_cells, translate_notebook, translation_path, translation_problems

__all__ = [
    "EDITIONS",
    "ReleaseError",
    "TranslationError",
    "ReleaseRefused",
    "BACKUP_DIR",
    "backup_folder",
    "KERNELSPEC",
    "LANGUAGE_INFO",
    "canonical_notebook_text",
    "generate_release",
    "work_in",
    "held_work",
    "START_PAGE",
    "start_page",
    "working_copy_message",
    "write_release",
]

#: Edition -> release folder. English is nbgrader's own release directory; the others are
#: siblings (nbgrader treats every folder *under* its release directory as an assignment).
EDITIONS = {"en": RELEASE_DIR, "zh": RELEASE_DIR + "-zh"}


class ReleaseRefused(ReleaseError):
    """A release notebook holds someone's work (:func:`work_in`) and ``force`` was not given;
    the message names each notebook and what it holds. Nothing was written."""


#: The notebook metadata JupyterLab writes when the kernel starts: the kernel spec of the
#: environment's ``python3`` kernel and ipykernel's ``language_info``. A release that carries
#: them exactly is not marked modified by opening it. ``language_info.version`` is left out: it
#: is the Python patch version of whoever runs the kernel; the lab adds it when it opens a
#: notebook and drops it when it saves one (lab/common/jupyter_server_config.py).
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}


def canonical_notebook_text(notebook: dict) -> str:
    """The release's bytes, as Jupyter's contents manager writes the same notebook.

    No outputs, counts or volatile cell metadata; the notebook metadata is
    :data:`KERNELSPEC` and :data:`LANGUAGE_INFO`; the JSON is ``nbformat.writes``'s
    (sources split into lines, indent 1, sorted keys, UTF-8), so opening a release
    notebook in the lab and saving it leaves it byte for byte as it was.
    """
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        for key in ("execution", "collapsed", "scrolled"):
            cell.get("metadata", {}).pop(key, None)
        cell["source"] = cell_source(cell)
    notebook["metadata"] = {"kernelspec": dict(KERNELSPEC), "language_info": copy.deepcopy(LANGUAGE_INFO)}
    text = nbformat.writes(nbformat.from_dict(notebook), version=nbformat.NO_CONVERT)
    return text if text.endswith("\n") else text + "\n"  # as nbformat.write ends a file


# ---------------------------------------------------------------------------
# The release
# ---------------------------------------------------------------------------


def _run_nbgrader(root: Path, names: list[str]) -> Path:
    """nbgrader's release of ``names`` in a scratch course; returns the scratch course folder."""
    scratch = Path(tempfile.mkdtemp(prefix="lmtrain-release-"))
    # Translations are read from root/solutions; left out here, or nbgrader would release them
    # as data files next to the notebooks.
    translations = [f"*.{language}.md" for language in EDITIONS if language != "en"]
    shutil.copytree(root / SOURCE_DIR, scratch / SOURCE_DIR, ignore=shutil.ignore_patterns(*translations))
    config = course_config(scratch, db_url=f"sqlite:///{scratch / 'gradebook.db'}")
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    for name in names:
        result = api.generate_assignment(name, force=True, create=True)
        if not result["success"]:
            shutil.rmtree(scratch, ignore_errors=True)
            raise ReleaseError(f"nbgrader could not release {name}:\n{result.get('error') or result.get('log')}")
    return scratch


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _header_blocks(language: str) -> tuple[list[Block], list[str]]:
    """The translation of the release header, and what is wrong with it."""
    path = translation_path(HEADER, language)
    if not path.is_file():
        return [], [f"autograder/{path.name} is missing: translate autograder/{HEADER.name} into it."]
    blocks = read_translation(path)
    return blocks, translation_problems(_load(HEADER), blocks, f"autograder/{path.name}", f"autograder/{HEADER.name}")


def _notebook_blocks(root: Path, name: str, language: str) -> tuple[list[Block], list[str]]:
    source = root / SOURCE_DIR / name / f"{name}.ipynb"
    path = translation_path(source, language)
    label = f"{SOURCE_DIR}/{name}/{path.name}"
    if not path.is_file():
        return [], [f"{label} is missing: write one block per plain markdown cell of {SOURCE_DIR}/{name}/{source.name}."]
    try:
        blocks = read_translation(path)
    except TranslationError as exc:
        return [], [f"{SOURCE_DIR}/{name}/{exc}"]
    return blocks, translation_problems(_load(source), blocks, label, f"{SOURCE_DIR}/{name}/{source.name}")


def _build_edition(root: Path, scratch: Path, names: list[str], language: str) -> Path:
    """Write ``scratch/edition-<language>`` from nbgrader's English output in ``scratch/notebooks``
    and the translations in ``root/solutions``."""
    raw = scratch / RELEASE_DIR
    out = scratch / ("edition-" + language)
    problems, translations = [], {}
    if language != "en":
        header, found = _header_blocks(language)
        problems += found
        for name in names:
            blocks, found = _notebook_blocks(root, name, language)
            problems += found
            translations[name] = header + blocks
    if problems:
        raise TranslationError(
            f"the {language} edition is not released: {len(problems)} translation problem(s):\n  "
            + "\n  ".join(problems)
        )
    for name in names:
        path = raw / name / f"{name}.ipynb"
        english = _load(path)
        # Points come from the English metadata, which every edition shares.
        tasks = task_points(english, f"{SOURCE_DIR}/{name}/{name}.ipynb")
        if language != "en":
            notebook = translate_notebook(english, translations[name])
            untranslated = [c["id"] for c in translatable_cells(english) if c["id"] not in {b.cell_id for b in translations[name]}]
            if untranslated:  # only a cell nbgrader added (a new header cell) can get here
                raise TranslationError(f"{name}: release cells {untranslated} have no {language} translation.")
        else:
            notebook = english
        notebook = add_points_lines(notebook, tasks, language, f"{SOURCE_DIR}/{name}/{name}.{language}.md")
        shutil.copytree(raw / name, out / name)  # data files, byte for byte
        (out / name / path.name).write_text(canonical_notebook_text(notebook), encoding="utf-8")
    (out / START_PAGE).write_text(start_page(language), encoding="utf-8")
    return out


def generate_release(root: Path = REPO_ROOT, names: list[str] | None = None,
                     editions: tuple[str, ...] = tuple(EDITIONS)) -> Path:
    """Release ``names`` (default: all) into a scratch folder; return its English edition.

    Each edition is at ``<returned folder>.parent / EDITIONS[edition]``; the caller owns
    that parent (a temporary directory). A missing or stale translation raises
    TranslationError naming every cell.
    """
    names = names or assignments(root)
    leaks = [leak for name in names
             for leak in notebook_leaks(_load(root / SOURCE_DIR / name / f"{name}.ipynb"), f"{SOURCE_DIR}/{name}/{name}.ipynb")]
    if leaks:  # a setup runs beside the student's code: an expected value there can be read and handed back
        raise ReleaseError(f"{len(leaks)} graded cell section(s) build what a check compares against where the "
                           "student's code can read it:\n  " + "\n  ".join(leaks))
    seeded = [problem for name in names
              for problem in notebook_literal_seeds(_load(root / SOURCE_DIR / name / f"{name}.ipynb"),
                                                    f"{SOURCE_DIR}/{name}/{name}.ipynb")]
    if seeded:  # the hidden tests are published: inputs drawn from a literal seed can be computed in advance
        raise ReleaseError(f"{len(seeded)} hidden section(s) seed a generator from a literal:\n  " + "\n  ".join(seeded))
    scratch = _run_nbgrader(root, names)
    try:
        built = {edition: _build_edition(root, scratch, names, edition) for edition in editions}
        shutil.rmtree(scratch / RELEASE_DIR)
        for edition, folder in built.items():
            folder.rename(scratch / EDITIONS[edition])
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return scratch / RELEASE_DIR


#: The lab's start page, at the top of each edition: the order of the notebooks, how to check
#: and hand in, where to get help. Written from autograder/start.md (start.<language>.md for the
#: other editions) with autograder/course_help.md, the one place an instructor writes the
#: course's forum and office hours, in place of @COURSE_HELP@.
START_PAGE = "START.md"
_TEMPLATES = Path(__file__).resolve().parent


def start_page(language: str) -> str:
    template = _TEMPLATES / ("start.md" if language == "en" else f"start.{language}.md")
    help_text = (_TEMPLATES / "course_help.md").read_text(encoding="utf-8").strip("\n")
    return template.read_text(encoding="utf-8").replace("@COURSE_HELP@", help_text)


def work_in(notebook: dict, release: dict) -> list[str]:
    """What a copy of ``release`` that someone worked in holds that writing ``release`` over it
    would lose, in words ("answers in cells cross_entropy, perplexity", "outputs in 3 cells",
    "2 cells of its own"); empty when it holds nothing of anyone's.

    Answers are answer cells (nbgrader solution cells, found by grade id) whose text differs
    from the release's. Prose edited in other cells is not counted: the release's own prose
    changes whenever an instructor edits ``solutions/``, and is told apart from a student's
    notes only by a previous release.
    """
    def answers(nb):
        return {nbgrader_meta(c).get("grade_id") or c.get("id"): cell_source(c) for c in nb.get("cells", []) if nbgrader_meta(c).get("solution")}

    released = answers(release)
    changed = [gid for gid, text in answers(notebook).items() if gid in released and text.strip() != released[gid].strip()]
    ran = sum(1 for c in notebook.get("cells", []) if c.get("outputs") or c.get("execution_count") is not None)
    ids = {c.get("id") for c in release.get("cells", [])}
    own = sum(1 for c in notebook.get("cells", []) if c.get("id") not in ids and cell_source(c).strip())
    work = []
    if changed:
        work.append(f"answers in cell{'s' * (len(changed) > 1)} {', '.join(changed)}")
    if ran:
        work.append(f"outputs in {ran} cell{'s' * (ran > 1)}")
    if own:
        work.append(f"{own} cell{'s' * (own > 1)} of its own")
    return work


def write_release(root: Path = REPO_ROOT, force: bool = False, backup_dir: Path | None = None) -> list[str]:
    """Regenerate ``notebooks/`` and ``notebooks-zh/`` in place; returns the assignments written.

    A release notebook someone has worked in (:func:`work_in`: answers, outputs, cells of
    their own) is never overwritten silently: ReleaseRefused names each one and nothing is
    written, unless ``force``, and then each is first copied to ``backup_dir`` (default
    ``release-backups/<UTC time>/``, which git ignores), under its path in the repository.
    Only the release's own files are written: ``.ipynb_checkpoints/`` and any other file
    in the release folders stay.

    The English edition is written even when a translation is stale, so an instructor can
    release English prose at once; the Chinese edition is then left as it was and
    TranslationError says which cells to translate (and the release check fails until then).
    """
    names = assignments(root)
    scratch = _run_nbgrader(root, names)
    try:
        built, stale = {"en": _build_edition(root, scratch, names, "en")}, None
        try:
            built["zh"] = _build_edition(root, scratch, names, "zh")
        except TranslationError as exc:
            stale = exc
        _keep_work(built, root, names, force, backup_dir or backup_folder(root))
        for edition, folder in built.items():
            _replace(folder, root / EDITIONS[edition], names)
        if stale is not None:
            raise TranslationError(f"{EDITIONS['en']}/ was released; {EDITIONS['zh']}/ was left as it was: {stale}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    from .manifest import write_manifest  # here, not at the top: the manifest reads this module's EDITIONS
    write_manifest(root)  # what make check and make handin compare with (src/lmtrain/release_manifest.json)
    return names


#: Where ``make release FORCE=1`` keeps a copy of each notebook it overwrites (git ignores it).
BACKUP_DIR = "release-backups"


def backup_folder(root: Path = REPO_ROOT) -> Path:
    """``root/release-backups/<UTC time>``: where a forced release keeps what it replaced."""
    return root / BACKUP_DIR / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def held_work(root: Path, built: dict[str, Path], names: list[str]) -> list[tuple[str, list[str]]]:
    """The release notebooks under ``root`` that hold work (:func:`work_in`) which writing the
    release in ``built`` (edition -> folder) over them would lose: (path relative to ``root``,
    what it holds), in order."""
    held = []
    for edition, folder in built.items():
        for name in names:
            for fresh in sorted((folder / name).glob("*.ipynb")):
                relative = f"{EDITIONS[edition]}/{name}/{fresh.name}"
                current = root / relative
                if not current.is_file() or current.read_bytes() == fresh.read_bytes():
                    continue
                try:
                    work = work_in(_load(current), _load(fresh))
                except (ValueError, KeyError, TypeError, AttributeError):
                    work = ["content that is not a notebook this release can read"]
                if work:
                    held.append((relative, work))
    return held


def working_copy_message(held: list[tuple[str, list[str]]]) -> str:
    """What a check that compares the release folders with a fresh release says about
    :func:`held_work`: the notebooks are a working copy, and what to do that loses nothing."""
    return ("; ".join(f"{relative} holds {' and '.join(work)}" for relative, work in held)
            + ": this is someone's working copy, not the release, so it cannot pass the release check. Keep that "
            "work first (hand it in, or copy the notebooks out of the repository): `make release` refuses to "
            "overwrite it, and `make release FORCE=1` overwrites it only after copying each notebook to "
            f"{BACKUP_DIR}/<UTC time>/.")


def _keep_work(built: dict[str, Path], root: Path, names: list[str], force: bool, backup_dir: Path) -> None:
    """Refuse (or, with ``force``, back up first) the release notebooks that hold work."""
    held = held_work(root, built, names)
    if held and not force:
        raise ReleaseRefused(
            "make release would overwrite work, so it wrote nothing:\n  "
            + "\n  ".join(f"{relative} holds {' and '.join(work)}" for relative, work in held)
            + "\nThese are someone's working copies, not the release."
        )
    for relative, _ in held:
        (backup_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / relative, backup_dir / relative)


def _replace(built: Path, target: Path, names: list[str]) -> None:
    """Write the release's files (``names``' folders and the start page) over ``target``; files
    it does not have are left alone."""
    for name in [*names, START_PAGE]:
        files = [built / name] if (built / name).is_file() else sorted(p for p in (built / name).rglob("*") if p.is_file())
        for source in files:
            destination = target / source.relative_to(built)
            if destination.is_file() and destination.read_bytes() == source.read_bytes():
                continue  # unchanged: keep its timestamp, so the lab sees no change on disk
            destination.parent.mkdir(parents=True, exist_ok=True)
            partial = destination.with_name(f".{destination.name}.release-partial")
            shutil.copyfile(source, partial)
            os.replace(partial, destination)  # never a half-written notebook
