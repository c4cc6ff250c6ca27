"""The class grader end to end: a synthetic class with every kind of hostile submission.

Notebook 01 carries the exact expectations (its points: values 2, stability 1,
gradient 1, perplexity 1). Other released notebooks are picked up by
``test_every_notebook_honest_full_blank_zero`` without the rest depending on
them.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
import torch

from autograder.sandbox import Limits
from autograder.course import REPO_ROOT, assignments
from autograder.grade import (GradeOptions, OutputOptions, RunOptions, grade_class, grade_notebook, load_course,
                              merge_outputs, shard_of)
from _support import (LIMITS, NAIVE_CE, NB, WRONG_CE, grade_id, honest, notebook, read_grades, read_integrity, release, sandbox_processes,
                      solution_answers, write_notebook)
from lmtrain.notebook import nbgrader_meta

# Generous clocks: every expected status below must hold on a slow machine with every core busy
# (`make test-busy`). No student of the shared class depends on a clock: the memory bomb is told
# apart by the memory cgroup, not by running out of time first, and the endless loop has its own
# test with a short cell limit (test_endless_loop_times_out).
OPTIONS = GradeOptions(limits=LIMITS)
CLI_LIMITS = ["--timeout", "600", "--cell-timeout", "120", "--memory", "1", "--max-processes", "32"]
# One worker runs this whole module under `pytest -n N --dist loadfile` (or loadgroup): its tests share one graded
# class and check that no sandbox process is left, which another worker's grading would disturb.
pytestmark = pytest.mark.xdist_group("autograder")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox's namespaces, chroot and uid switch need root")


# ---------------------------------------------------------------------------
# Building submissions
# ---------------------------------------------------------------------------


CE_SOLUTION = solution_answers()["cross_entropy"] if (REPO_ROOT / "solutions" / NB).exists() else ""
INPLACE_CE = '''def cross_entropy(inputs, targets):
    """Shifts the caller's tensor in place (when it does not require grad)."""
    peak = inputs.max(dim=-1, keepdim=True).values
    shifted = inputs.sub_(peak) if not inputs.requires_grad else inputs - peak
    log_normaliser = torch.log(torch.exp(shifted).sum(dim=-1))
    return (log_normaliser - shifted.gather(-1, targets.unsqueeze(-1)).squeeze(-1)).mean()
'''


def _renamed(source: str) -> str:
    """The same code with every local name changed, comments and blank lines added."""
    import ast

    tree = ast.parse(source)
    function = tree.body[0]
    params = {a.arg for a in function.args.args}
    local = {n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} | params
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in local:
            node.id = node.id + "_mine"
        elif isinstance(node, ast.arg) and node.arg in local:
            node.arg = node.arg + "_mine"
    lines = ast.unparse(tree).splitlines()
    return "# my own work, honest\n" + "\n\n".join(lines) + "\n"


RENAMED_CE = _renamed(CE_SOLUTION) if CE_SOLUTION else ""
LEAKY_CE = CE_SOLUTION.replace('    """Mean cross-entropy', '    _steal()\n    """Mean cross-entropy') + '''

_stolen = []
def _steal():
    import sys
    frame = sys._getframe(1)
    while frame is not None:
        for value in list(frame.f_locals.values()):
            # the runner's request: hidden setup and drive code included
            if isinstance(value, dict) and isinstance(value.get("source"), str) and value["source"] not in _stolen:
                _stolen.append(value["source"])
        frame = frame.f_back
    print("STOLEN:" + "\\n".join(_stolen))
'''


def _drop(gid):
    def edit(nb):
        nb["cells"] = [c for c in nb["cells"] if grade_id(c) != gid]
    return edit


def _edit_test(gid, new_source):
    def edit(nb):
        for c in nb["cells"]:
            if grade_id(c) == gid:
                c["source"] = new_source
    return edit


def _retag(gid):
    def edit(nb):
        for c in nb["cells"]:
            if grade_id(c) == gid:
                nbgrader_meta(c).update(grade=False, points=100)
    return edit


def _insert_after(gid, source):
    def edit(nb):
        index = next(i for i, c in enumerate(nb["cells"]) if grade_id(c) == gid)
        nb["cells"].insert(index + 1, {"cell_type": "code", "execution_count": None, "id": "extra-cell",
                                       "metadata": {}, "outputs": [], "source": source})
    return edit


FORK_BOMB = '''import os, time
children = 0
for _ in range(400):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        os.setsid()  # try to leave the process group too
        time.sleep(600)
        os._exit(0)
    children += 1
print("forked", children)
'''


def build_class(root: Path, token: str, port: int) -> dict:
    """Submissions under ``root``; returns the expected grades.csv rows and notes."""
    subs = root / "subs"
    escape_targets = [root / f"escaped-{token}", REPO_ROOT / f"escaped-{token}", Path(f"/tmp/escaped-{token}")]
    write_escape = "import os\n" + "".join(
        f"try:\n    open({str(p)!r}, 'w').write('x')\nexcept OSError:\n    pass\n" for p in escape_targets
    ) + "try:\n    open('../../../escaped-rel', 'w').write('x')\nexcept OSError:\n    pass\n"
    snoop = f'''import os, glob
_paths = ["../../solutions/{NB}/{NB}.ipynb", {str(REPO_ROOT / "solutions" / NB / (NB + ".ipynb"))!r},
          "/proc/1/root{REPO_ROOT}/solutions/{NB}/{NB}.ipynb"] + glob.glob({str(root)!r} + "/**/*.ipynb", recursive=True)
_found = None
for _p in _paths:
    try:
        _found = open(_p).read()
        break
    except OSError:
        pass
if _found:
    exec({CE_SOLUTION!r}, globals())
else:
''' + "\n".join("    " + line for line in WRONG_CE.splitlines()) + "\n"
    network = f'''import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
    exec({CE_SOLUTION!r}, globals())
except OSError:
''' + "\n".join("    " + line for line in WRONG_CE.splitlines()) + "\n"
    students = {
        "honest": honest(),
        "blank": release(),
        "copycat": honest(cross_entropy=RENAMED_CE),
        "naive": honest(cross_entropy=NAIVE_CE),
        "inplace": honest(cross_entropy=INPLACE_CE),
        "leaky": honest(cross_entropy=LEAKY_CE),
        "exits": honest(perplexity="import os\nos._exit(3)\n"),
        "membomb": honest(perplexity="hoard = [bytearray(2**26) for _ in range(10_000)]\n"),
        "floods": honest(perplexity="while True:\n    print('x' * 1_000_000)\n"),
        "forkbomb": notebook(solution_answers(), edit=_insert_after("cross_entropy", FORK_BOMB)),
        "deleter": notebook(solution_answers(), edit=_drop("cross_entropy_values")),
        "editor": notebook({**solution_answers(), "cross_entropy": NAIVE_CE},
                           edit=_edit_test("cross_entropy_stability", "# cross_entropy: trust me\npass\n")),
        "retagger": notebook(solution_answers(), edit=_retag("perplexity_values")),
        "patcher": honest(cross_entropy=WRONG_CE + "torch.allclose = lambda *a, **k: True\n"),
        "checkpatcher": honest(cross_entropy=WRONG_CE + "import lmtrain.checking\n"
                               "lmtrain.checking.check_close = lambda *a, **k: None\n"),
        "shadower": honest(cross_entropy=WRONG_CE + "def check_close(*a, **k):\n    pass\n"),
        "snooper": honest(cross_entropy=snoop),
        "escaper": honest(cross_entropy=CE_SOLUTION + "\n" + write_escape),
        "networker": honest(cross_entropy=network),
    }
    for student, nb in students.items():
        write_notebook(subs / student / f"{NB}.ipynb", nb)
    # other layouts
    (subs / "corrupt").mkdir()
    (subs / "corrupt" / f"{NB}.ipynb").write_text(json.dumps(honest())[:5000], encoding="utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"zipped/{NB}.ipynb", json.dumps(honest()))
        archive.writestr("notes.txt", "hello")
    (subs / "zipped.zip").write_bytes(buffer.getvalue())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"../../{NB}.ipynb", json.dumps(honest()))
        link = zipfile.ZipInfo(f"{NB}.ipynb")
        link.external_attr = (0o120777 << 16)
        archive.writestr(link, "/etc/passwd")
    (subs / "zipslip.zip").write_bytes(buffer.getvalue())
    write_notebook(subs / "submitted" / "nbstyle" / NB / f"{NB}.ipynb", honest())
    (subs / "absent").mkdir()
    (subs / "absent" / "readme.txt").write_text("I forgot", encoding="utf-8")
    write_notebook(subs / "bad name!" / f"{NB}.ipynb", honest())
    write_notebook(root / "elsewhere" / f"{NB}.ipynb", honest())
    (subs / "linked").symlink_to(root / "elsewhere")
    (subs / "stray.txt").write_text("not a submission", encoding="utf-8")

    rows = {
        "honest": (5, "graded"), "blank": (0, "graded"), "copycat": (5, "graded"), "naive": (4, "graded"),
        # the integrity scan flags frames (leaky), os.fork (forkbomb) and exec (snooper, networker): every
        # graded cell after the cell holding one earns nothing, whatever the sandbox measured
        "inplace": (3, "graded"), "leaky": (0, "integrity"), "exits": (4, "error"),
        "membomb": (4, "memory"), "floods": (4, "error"), "forkbomb": (0, "integrity"), "deleter": (5, "graded"),
        "editor": (4, "graded"), "retagger": (5, "graded"), "patcher": (0, "integrity"),
        # the shadower attacks from a wrong cross_entropy; its perplexity (the reference answer) is right
        # given that cross_entropy, so it keeps its 1 point: one mistake is charged once
        "checkpatcher": (0, "integrity"), "shadower": (1, "graded"), "snooper": (0, "integrity"),
        "escaper": (5, "graded"), "networker": (0, "integrity"), "corrupt": (0, "error"), "zipped": (5, "graded"),
        "zipslip": (0, "missing"), "nbstyle": (5, "graded"), "absent": (0, "missing"),
    }
    # students whose answer cells are the same up to names, whitespace and comments
    similar = sorted(["honest", "copycat", "forkbomb", "deleter", "retagger", "zipped", "nbstyle", "naive", "editor"])
    return {"subs": subs, "rows": rows, "escape": escape_targets + [root / "escaped-rel"], "similar": similar}


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.setblocking(False)
    yield server
    server.close()


@pytest.fixture(scope="module")
def klass(tmp_path_factory, listener):
    if not (REPO_ROOT / "notebooks" / NB / f"{NB}.ipynb").exists():
        pytest.skip("notebook 01 is not released")
    root = tmp_path_factory.mktemp("class")
    return build_class(root, root.name, listener.getsockname()[1])


@pytest.fixture(scope="module")
def graded(klass, tmp_path_factory):
    out = tmp_path_factory.mktemp("out-jobs2")
    started = time.monotonic()
    grade_class(klass["subs"], out, options=OPTIONS, run=RunOptions(jobs=2, names=[NB], progress=False),
                output=OutputOptions(formats=("csv", "gradescope")))
    klass["seconds"] = time.monotonic() - started
    return out


# ---------------------------------------------------------------------------
# Grades, statuses, integrity
# ---------------------------------------------------------------------------


@needs_root
def test_exact_grades_and_statuses(graded, klass):
    got = {s: (float(r["score"]), r["status"]) for (s, _nb), r in read_grades(graded).items()}
    want = {s: (float(score), status) for s, (score, status) in klass["rows"].items()}
    assert got == want
    assert all(r["max_score"] == "5" for r in read_grades(graded).values())


@needs_root
def test_integrity_flags(graded, klass):
    rows = read_integrity(graded)
    kinds = {(r["student_id"], r["kind"]) for r in rows if r["kind"] != "similar_answers"}
    assert kinds == {
        ("deleter", "deleted_test_cell"),
        ("editor", "edited_test_cell"),
        ("retagger", "retagged_test_cell"),
        ("patcher", "tampering"),
        ("checkpatcher", "tampering"),
        ("patcher", "evasion"),  # torch.allclose rebound
        ("checkpatcher", "evasion"),  # lmtrain.checking imported and rebound
        ("leaky", "evasion"),  # sys._getframe and frame locals
        ("forkbomb", "evasion"),  # os.fork
        ("snooper", "evasion"),  # exec
        ("networker", "evasion"),  # exec
    }  # the shadower's own check_close is harmless now: checks run in the grader, never beside it
    tampering = {r["student_id"]: r["detail"] for r in rows if r["kind"] == "tampering"}
    assert "torch.allclose" in tampering["patcher"]
    assert "lmtrain.checking.check_close" in tampering["checkpatcher"]
    similar = sorted(r["student_id"] for r in rows if r["kind"] == "similar_answers")
    assert similar == klass["similar"]
    copycat = next(r for r in rows if r["student_id"] == "copycat" and r["kind"] == "similar_answers")
    assert "honest" in copycat["detail"]


@needs_root
def test_per_test_scores_in_report(graded):
    report = json.loads((graded / "report.json").read_text(encoding="utf-8"))
    by_student = {r["student_id"]: r for r in report["results"]}
    inplace = {t["grade_id"]: t for t in by_student["inplace"]["tests"]}
    assert inplace["cross_entropy_values"]["score"] == 0 and inplace["cross_entropy_values"]["hidden_failed"]
    assert inplace["cross_entropy_values"]["visible_error"] == ""
    assert [t["score"] for t in by_student["naive"]["tests"]] == [2, 0, 1, 1]
    assert [t["status"] for t in by_student["membomb"]["tests"]] == ["passed", "passed", "passed", "not run"]
    assert "out of memory" in by_student["membomb"]["detail"]
    assert [t["status"] for t in by_student["patcher"]["tests"]] == ["integrity"] * 4


# ---------------------------------------------------------------------------
# Safety
# ---------------------------------------------------------------------------


@needs_root
def test_nothing_escaped_the_sandbox(graded, klass, listener):
    for path in klass["escape"]:
        assert not path.exists(), f"a submission wrote {path}"
    with pytest.raises(BlockingIOError):
        listener.accept()  # no connection ever reached the test's server
    assert not (graded / ".work").exists(), "the sandboxes' staging folder was not removed"


@needs_root
def test_every_process_is_gone(graded):
    deadline = time.monotonic() + 10
    while sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sandbox_processes() == []


@needs_root
def test_feedback_never_shows_hidden_tests(graded, klass):
    source = load_course(REPO_ROOT, [NB])[NB]
    hidden = [line for line in source.hidden_lines]
    assert hidden, "notebook 01 has hidden tests"
    files = sorted((graded / "feedback").rglob("*.html")) + sorted((graded / "gradescope").rglob("results.json"))
    assert len(files) == 3 * len(klass["rows"])  # a page per notebook, an index, results.json
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "BEGIN HIDDEN" not in text and "Traceback" not in text
        for line in hidden:
            assert line not in text, f"{path} shows hidden test code: {line!r}"
    inplace = (graded / "feedback" / "inplace" / f"{NB}.html").read_text(encoding="utf-8")
    assert "hidden check failed: values for 0 to 3 batch dimensions" in inplace
    assert "hidden test" not in inplace
    naive = (graded / "feedback" / "naive" / f"{NB}.html").read_text(encoding="utf-8")
    assert "cross_entropy of logits (1e4, 0, -1e4)" in naive  # a visible assertion message is shown
    leaky = (graded / "feedback" / "leaky" / f"{NB}.html").read_text(encoding="utf-8")
    assert "STOLEN:" in leaky  # its prints are shown, from a run that never had the hidden tests


@needs_root
def test_gradescope_results(graded):
    data = json.loads((graded / "gradescope" / "naive" / "results.json").read_text(encoding="utf-8"))
    assert data["score"] == 4 and len(data["tests"]) == 4
    assert {t["max_score"] for t in data["tests"]} == {1, 2}


@needs_root
def test_rejected_and_ignored_inputs_are_logged(graded):
    log = (graded / "grading.log").read_text(encoding="utf-8")
    assert "REJECTED 'bad name!'" in log
    assert "REJECTED linked: symbolic link" in log
    assert "path traversal" in log and "symbolic link in the archive" in log
    assert "stray.txt: neither a student folder nor a .zip; ignored" in log
    assert "absent/readme.txt: not a notebook of this course; ignored" in log
    assert not (graded / "feedback" / "bad name!").exists()


@needs_root
def test_gradebook_has_the_scores(graded):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{graded / 'gradebook.db'}") as gb:
        assert gb.find_submission(NB, "honest").score == 5
        assert gb.find_submission(NB, "naive").score == 4
        assert gb.find_grade("cross_entropy_stability", NB, NB, "naive").auto_score == 0


def test_new_gradebook_is_stamped_as_nbgrader_stamps_it(tmp_path):
    """The grader reads the schema revision in process (nbgrader runs `alembic heads` for it, seconds
    a class): the stamp must be the revision nbgrader's own command gives."""
    import sqlite3

    from nbgrader.api import get_alembic_version

    from autograder.course import put_environment_on_path
    from autograder.gradebook import write_gradebook

    database = tmp_path / "gradebook.db"
    write_gradebook(f"sqlite:///{database}", load_course(REPO_ROOT, [NB]), [])
    with sqlite3.connect(database) as db:
        stamped = db.execute("SELECT version_num FROM alembic_version").fetchall()
    put_environment_on_path()
    assert stamped == [(get_alembic_version(),)]


# ---------------------------------------------------------------------------
# Repeatable
# ---------------------------------------------------------------------------


@needs_root
def test_jobs_1_equals_jobs_2_and_reruns_are_identical(graded, klass, tmp_path):
    out = tmp_path / "jobs1"
    grade_class(klass["subs"], out, options=OPTIONS, run=RunOptions(names=[NB], progress=False),
                output=OutputOptions(formats=("csv", "gradescope")))
    for name in ("grades.csv", "report.json", "integrity.csv", "gradescope/leaky/results.json",
                 f"feedback/inplace/{NB}.html"):
        assert (out / name).read_bytes() == (graded / name).read_bytes(), name
    before = {p: p.read_bytes() for p in (out / "grades.csv", out / "report.json")}
    grade_class(klass["subs"], out, options=OPTIONS, run=RunOptions(names=[NB], progress=False))  # nothing to redo
    # (counted, not timed: the rerun must grade nothing, however slow the machine)
    total = len(klass["rows"])
    assert f"{total} notebooks, {total} already graded with the same input" in (out / "grading.log").read_text()
    assert {p: p.read_bytes() for p in before} == before
    # a changed submission is graded again (no stale score)
    changed = tmp_path / "changed"
    shutil.copytree(klass["subs"], changed, symlinks=True)
    write_notebook(changed / "blank" / f"{NB}.ipynb", honest())
    shutil.copytree(out, tmp_path / "jobs1-copy")
    grade_class(changed, tmp_path / "jobs1-copy", options=OPTIONS, run=RunOptions(names=[NB], progress=False))
    grades = read_grades(tmp_path / "jobs1-copy")
    assert grades[("blank", NB)]["score"] == "5"
    assert grades[("naive", NB)]["score"] == "4"


@needs_root
def test_resume_after_kill_9_matches_uninterrupted(graded, klass, tmp_path):
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "autograder", "grade", str(klass["subs"]), "--out", str(out),
               "--notebooks", NB, "--jobs", "1", "--format", "csv,gradescope", "--no-progress", *CLI_LIMITS]
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(out.glob(".state/*/*.json"))) < 6:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = len(list(out.glob(".state/*/*.json")))
    assert 0 < done < len(klass["rows"]), "the kill should land in the middle of the run"
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "01_cross_entropy" in result.stdout  # the summary table
    for name in ("grades.csv", "report.json", "integrity.csv", "gradescope/naive/results.json"):
        assert (out / name).read_bytes() == (graded / name).read_bytes(), name
    log = (out / "grading.log").read_text(encoding="utf-8")
    assert "already graded with the same input" in log
    deadline = time.monotonic() + 10
    while sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sandbox_processes() == []


@needs_root
def test_shards_merge_to_the_whole(graded, klass, tmp_path):
    quick = tmp_path / "quick"
    quick.mkdir()
    for student in ("honest", "naive", "copycat", "patcher"):
        shutil.copytree(klass["subs"] / student, quick / student)
    assert len({shard_of(s, 2) for s in os.listdir(quick)}) == 2
    outs = []
    for index in range(2):
        outs.append(tmp_path / f"shard{index}")
        grade_class(quick, outs[-1], options=OPTIONS, run=RunOptions(names=[NB], shard=(index, 2), progress=False))
    merged = tmp_path / "merged"
    merge_outputs(outs, merged, names=[NB])
    grades = read_grades(merged)
    assert sorted(s for s, _ in grades) == sorted(os.listdir(quick))
    whole = read_grades(graded)
    assert all(grades[k] == whole[k] for k in grades)
    integrity = {(r["student_id"], r["kind"]) for r in read_integrity(merged)}
    assert ("copycat", "similar_answers") in integrity and ("patcher", "tampering") in integrity


# ---------------------------------------------------------------------------
# API, other notebooks, PostgreSQL
# ---------------------------------------------------------------------------


@needs_root
def test_grade_notebook_api(tmp_path):
    path = tmp_path / f"{NB}.ipynb"
    write_notebook(path, honest(cross_entropy=NAIVE_CE))
    result = grade_notebook(path, limits=LIMITS)
    assert (result.score, result.max_score, result.status) == (4, 5, "graded")
    assert {t.grade_id: t.score for t in result.tests} == {
        "cross_entropy_values": 2, "cross_entropy_stability": 0, "cross_entropy_gradient": 1, "perplexity_values": 1}


RELEASED = [a for a in assignments(REPO_ROOT) if (REPO_ROOT / "notebooks" / a / f"{a}.ipynb").exists()]


@needs_root
def test_the_graders_thread_count_does_not_change_a_grade(tmp_path):
    """Notebook 07 trains a model in a setup section on both sides and compares weights exactly: the
    grader's side must do the sandbox's arithmetic whatever threads the instructor's shell gives it."""
    name = "07_checkpointing"
    write_notebook(tmp_path / "subs" / "honest" / f"{name}.ipynb", notebook(solution_answers(name), name=name))
    threads = torch.get_num_threads()
    torch.set_num_threads(2)  # as a grader started without OMP_NUM_THREADS=1 on a multi-core machine
    try:
        grade_class(tmp_path / "subs", tmp_path / "out", run=RunOptions(names=[name], progress=False))
    finally:
        torch.set_num_threads(threads)
    row = read_grades(tmp_path / "out")[("honest", name)]
    assert (row["status"], row["score"]) == ("graded", row["max_score"])


@needs_root
def test_every_released_notebook_honest_full_blank_not(tmp_path):
    """Each released notebook (01 and whatever others exist) with reference answers and blank."""
    subs = tmp_path / "subs"
    for name in RELEASED:  # later notebooks load earlier answers from the student's own notebooks
        write_notebook(subs / "honest" / f"{name}.ipynb", notebook(solution_answers(name), name=name))
        write_notebook(subs / "blank" / f"{name}.ipynb", release(name))
    grade_class(subs, tmp_path / "out", options=GradeOptions(limits=Limits(cell_timeout=60, memory_gb=4)),
                run=RunOptions(names=RELEASED, progress=False))
    grades = read_grades(tmp_path / "out")
    for name in RELEASED:
        honest_row, blank_row = grades[("honest", name)], grades[("blank", name)]
        assert (honest_row["status"], honest_row["score"]) == ("graded", honest_row["max_score"]), name
        assert blank_row["status"] == "graded" and float(blank_row["score"]) < float(blank_row["max_score"]), name
    assert read_integrity(tmp_path / "out") == []


def _pg_bin() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "pg_ctl").exists() and (candidate / "initdb").exists():
            return candidate
    return None


@pytest.fixture
def postgres(tmp_path):
    """A throw-away PostgreSQL cluster (Debian's postgresql package), run as `nobody`."""
    pg = _pg_bin()
    if pg is None:
        pytest.skip("PostgreSQL server binaries not installed (Debian package `postgresql`)")
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        pytest.skip("psycopg2 (psycopg2-binary) is not installed")
    if os.geteuid() != 0:
        pytest.skip("starting a cluster as another user needs root")
    home = Path(tempfile.mkdtemp(prefix="lmtrain-pg-"))  # pytest's tmp folders are root-only
    os.chmod(home, 0o755)
    data = home / "pgdata"
    data.mkdir()
    shutil.chown(data, "nobody")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run = dict(user="nobody", capture_output=True, text=True, timeout=60, cwd="/")
    init = subprocess.run([str(pg / "initdb"), "-D", str(data), "-A", "trust", "-U", "grader"], **run)
    if init.returncode != 0:
        pytest.skip(f"initdb failed: {init.stderr[-500:]}")
    start = subprocess.run([str(pg / "pg_ctl"), "-D", str(data), "-w", "-l", str(data / "log"), "-o",
                            f"-p {port} -k {data} -c listen_addresses=127.0.0.1", "start"], **run)
    if start.returncode != 0:
        pytest.skip(f"PostgreSQL did not start: {start.stderr[-500:]}")
    try:
        yield f"postgresql+psycopg2://grader@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([str(pg / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], **run)
        shutil.rmtree(home, ignore_errors=True)


@needs_root
def test_postgresql_gradebook(postgres, tmp_path):
    subs = tmp_path / "subs"
    write_notebook(subs / "honest" / f"{NB}.ipynb", honest())
    write_notebook(subs / "naive" / f"{NB}.ipynb", honest(cross_entropy=NAIVE_CE))
    for _ in range(2):  # twice: re-grading replaces
        grade_class(subs, tmp_path / "out", options=OPTIONS, run=RunOptions(names=[NB], progress=False, force=True),
                    output=OutputOptions(db_url=postgres))
    from nbgrader.api import Gradebook

    with Gradebook(postgres) as gb:
        assert gb.find_submission(NB, "honest").score == 5
        assert gb.find_submission(NB, "naive").score == 4
        assert len(gb.students) == 2


def test_without_isolation_limits_and_cleanup_still_hold(tmp_path):
    """The fallback (no root, or namespaces refused): time limit, and the notebook's processes die."""
    shared = Path(tempfile.mkdtemp(prefix="lmtrain-fallback-"))
    os.chmod(shared, 0o777)  # the notebook may run as the unprivileged sandbox user
    pid_file = shared / "child.pid"
    spawn = (f"import os, time\npid = os.fork()\nif pid == 0:\n    time.sleep(600)\n    os._exit(0)\n"
             f"open({str(pid_file)!r}, 'w').write(str(pid))\nwhile True:\n    pass\n")
    path = tmp_path / "nb" / f"{NB}.ipynb"
    write_notebook(path, honest(cross_entropy=spawn))  # the first answer cell: no honest cell races the short clock
    short = Limits(notebook_timeout=60.0, cell_timeout=3.0, memory_gb=1.0, max_processes=32)
    result = grade_notebook(path, limits=short, isolate=False)
    assert (result.score, result.status) == (0, "timeout")
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{child}/stat").read_text().split(")")[-1].split()[0]
        except OSError:
            break
        if state == "Z":
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"process {child} started by the notebook is still running")
    shutil.rmtree(shared, ignore_errors=True)


@needs_root
def test_endless_loop_times_out(tmp_path):
    """A cell that never ends: status timeout, whatever the speed of the machine (the loop is the
    first answer cell, so no honest cell races the short clock)."""
    subs = tmp_path / "subs"
    write_notebook(subs / "loops" / f"{NB}.ipynb", honest(cross_entropy="while True:\n    pass\n"))
    short = GradeOptions(limits=Limits(notebook_timeout=60.0, cell_timeout=3.0, memory_gb=1.0, max_processes=32))
    grade_class(subs, tmp_path / "out", options=short, run=RunOptions(names=[NB], progress=False))
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    (result,) = report["results"]
    assert (result["status"], result["score"]) == ("timeout", 0)
    assert "cell cross_entropy ran past 3 s" in result["detail"]
    assert [t["status"] for t in result["tests"]] == ["not run"] * 4
    deadline = time.monotonic() + 10
    while sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sandbox_processes() == []
