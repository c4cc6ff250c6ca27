"""Attacks on the grader: every hostile submission in tests/hostile/, and the sandbox's own walls.

The class test grades every file of ``tests/hostile/`` as the ``cross_entropy`` answer of one
student (isolation on, as root) and checks, for each, its ``# expect:`` line (at most the points
its honest code earns, an allowed status, the integrity flag), and for the class as a whole:
it completes, no student-facing file quotes hidden test code or the leak markers, every output
file is owner-only, no sandbox process is left and no host file was written. The protocol tests
feed the grader's decoder hostile replies directly (no root needed).
"""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from autograder import protocol
from autograder.course import REPO_ROOT
from autograder.grade import GradeOptions, OutputOptions, RunOptions, grade_class, load_course
from autograder.outputs import csv_cell
from autograder.sandbox import Limits, SandboxEnded, SandboxSpec, Session
from autograder.sandbox import uids
from autograder.sandbox.uids import SANDBOX_UID_BASE

from _support import NB, honest, read_grades, read_integrity, release, sandbox_processes, write_notebook
from lmtrain.notebook import cell_source, nbgrader_meta

HOSTILE = Path(__file__).parent / "hostile"
pytestmark = pytest.mark.xdist_group("autograder")  # counts sandbox processes: not beside another grading
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox's namespaces, chroot and uid switch need root")
# Every expected status holds with the cores busy: no attack here may pass or fail by a clock except
# channel_stall (its only way to end), and 20 s per cell is far above what any of these cells needs.
HOSTILE_LIMITS = Limits(notebook_timeout=300.0, cell_timeout=20.0, memory_gb=1.0, max_processes=32)
#: The job slot of a test that checks its sandbox uid after the grader died: graders search for a free uid
#: upwards from their slot (0, 1, ...), so none beside that test takes this one.
LONE_SLOT = 977
#: Attacks that still succeed, with the fix that closes them (a strict xfail: fixed means remove it here).
KNOWN_HOLES: dict[str, str] = {}  # attack -> why it still succeeds (each a strict xfail until fixed)
ESCAPES = [Path("/tmp/lmtrain-hostile-escape"), Path("/srv/lmtrain-hostile-escape"), REPO_ROOT / "lmtrain-hostile-escape"]


def expectations(path: Path) -> dict:
    line = next(l for l in path.read_text(encoding="utf-8").splitlines() if l.startswith("# expect:"))
    fields = dict(item.split("=", 1) if "=" in item else item.split("<=", 1) for item in line[9:].split())
    points = re.search(r"points<=(\S+)", line)
    return {"points": float(points.group(1)), "status": set(fields["status"].split("|")),
            "flag": fields.get("flag")}


ATTACKS = sorted(p.stem for p in HOSTILE.glob("*.py"))
# An attack file may say {{NESTED_SUM}} for an expression a million operators deep (2 MB we do not commit).
NESTED_SUM = "+".join(["1"] * 1_000_000)


def _attack_source(name: str) -> str:
    return (HOSTILE / f"{name}.py").read_text(encoding="utf-8").replace("{{NESTED_SUM}}", NESTED_SUM)


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("the sandbox's namespaces, chroot and uid switch need root")
    if not (REPO_ROOT / "notebooks" / NB / f"{NB}.ipynb").exists():
        pytest.skip("notebook 01 is not released")
    root = tmp_path_factory.mktemp("hostile")
    for name in ATTACKS:
        write_notebook(root / "subs" / name / f"{NB}.ipynb",
               honest(cross_entropy=_attack_source(name),
                      perplexity=_stub("perplexity")))
    write_notebook(root / "subs" / "blank" / f"{NB}.ipynb", release())
    for path in ESCAPES:
        assert not path.exists()
    out = root / "out"
    started = time.monotonic()
    grade_class(root / "subs", out, options=GradeOptions(limits=HOSTILE_LIMITS),
                run=RunOptions(jobs=2, names=[NB], progress=False), output=OutputOptions(formats=("csv", "gradescope")))
    return {"out": out, "seconds": time.monotonic() - started}


def _stub(gid: str) -> str:
    cell = next(c for c in release()["cells"] if nbgrader_meta(c).get("grade_id") == gid)
    return cell_source(cell)


@pytest.mark.parametrize("attack", ATTACKS)
def test_attack_earns_nothing_unearned(hostile_class, attack):
    if attack in KNOWN_HOLES:
        pytest.xfail(KNOWN_HOLES[attack]) if not _fixed(hostile_class, attack) else None
    want = expectations(HOSTILE / f"{attack}.py")
    row = read_grades(hostile_class["out"])[(attack, NB)]
    assert float(row["score"]) <= want["points"], f"{attack} earned {row['score']} points"
    assert row["status"] in want["status"], f"{attack}: status {row['status']}"
    if want["flag"]:
        kinds = {r["kind"] for r in read_integrity(hostile_class["out"]) if r["student_id"] == attack}
        assert want["flag"] in kinds, f"{attack} was not flagged {want['flag']}: {kinds}"


def _fixed(hostile_class, attack) -> bool:
    want = expectations(HOSTILE / f"{attack}.py")
    return float(read_grades(hostile_class["out"])[(attack, NB)]["score"]) <= want["points"]


def test_known_holes_are_still_open(hostile_class):
    """Remove an attack from KNOWN_HOLES once it is fixed (this fails to say so)."""
    for attack in KNOWN_HOLES:
        assert not _fixed(hostile_class, attack), f"{attack} is fixed: remove it from KNOWN_HOLES"


def test_the_class_completes_and_blank_earns_nothing(hostile_class):
    grades = read_grades(hostile_class["out"])
    assert sorted(s for s, _ in grades) == sorted(ATTACKS + ["blank"])
    assert grades[("blank", NB)]["score"] == "0"


def test_no_hidden_text_in_student_files(hostile_class):
    source = load_course(REPO_ROOT, [NB])[NB]
    out = hostile_class["out"]
    files = sorted((out / "feedback").rglob("*.html")) + sorted((out / "gradescope").rglob("results.json"))
    assert len(files) == 3 * (len(ATTACKS) + 1)  # a page per notebook, an index, results.json
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "LEAK_" not in text and "BEGIN HIDDEN" not in text, path
        for line in source.hidden_lines:
            assert line not in text, f"{path} shows hidden test code: {line!r}"
        if path.suffix == ".html":  # (Gradescope shows its JSON's output as text)
            assert "<script>" not in text, f"{path}: a student's markup reached the page unescaped"
        # where a hidden section's code raised is the submission's to choose (leak_in_failure_line.py)
        assert "your code raised" not in text, f"{path} says where the code raised in a hidden section"
    for attack in ("leak_in_exception_name", "leak_in_failure_line"):
        feedback = (out / "feedback" / attack / f"{NB}.html").read_text(encoding="utf-8")
        assert "hidden check failed" in feedback, f"{attack}: the hidden failure is not reported at all"


def test_csv_and_json_survive_what_students_print(hostile_class):
    out = hostile_class["out"]
    for name in ("grades.csv", "integrity.csv", "report.json"):
        (out / name).read_text(encoding="utf-8")  # valid UTF-8: no lone surrogate written through
    json.loads((out / "report.json").read_text(encoding="utf-8"))
    for line in (out / "integrity.csv").read_text(encoding="utf-8").splitlines():
        for cell in line.split(","):
            assert not cell.startswith(("=", "+", "@")), line


def test_outputs_are_owner_only(hostile_class):
    for path in [hostile_class["out"], *hostile_class["out"].rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        assert mode & 0o077 == 0, f"{path} is readable by others ({oct(mode)})"


def test_nothing_left_running_or_written(hostile_class):
    deadline = time.monotonic() + 10
    while sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sandbox_processes() == []
    for path in ESCAPES:
        assert not path.exists(), f"a submission wrote {path}"


def test_forbidden_table_attack_is_named_in_integrity(hostile_class):
    rows = [r for r in read_integrity(hostile_class["out"]) if r["student_id"] == "forbidden_table_emptied"]
    assert any("FORBIDDEN_BUILTINS" in r["detail"] for r in rows), rows


# ---------------------------------------------------------------------------
# The sandbox's walls, seen from inside (one Session, plain requests)
# ---------------------------------------------------------------------------


class _Box:
    def __init__(self, tmp_path: Path, limits: Limits, slot: int = 0):
        staging = tmp_path / "stage" / "notebooks" / NB
        staging.mkdir(parents=True)
        (staging / f"{NB}.ipynb").write_text("{}", encoding="utf-8")
        (tmp_path / "root").mkdir()
        spec = SandboxSpec(staging=str(tmp_path / "stage"), workdir=f"notebooks/{NB}", root_mount=str(tmp_path / "root"),
                           data_dir=str(REPO_ROOT / "data"), slot=slot)
        forbidden = [str(REPO_ROOT / d) for d in ("solutions", "tests", ".git")] + [str(tmp_path)]
        self.session = Session(spec, limits, forbidden=forbidden)
        self.index = 0

    def run(self, source: str, exports=()):
        self.index += 1
        raw = self.session.request({"op": "exec", "index": self.index, "name": "probe", "source": source,
                                    "exports": list(exports)}, "probe")
        return protocol.parse_reply(raw, self.index, list(exports), {"probe": 1000})


@pytest.fixture
def box(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("the sandbox's namespaces, chroot and uid switch need root")
    made = _Box(tmp_path, Limits(notebook_timeout=120, cell_timeout=30, memory_gb=1.0, max_processes=32))
    yield made
    made.session.close()


@needs_root
def test_sandbox_walls(box):
    """Only the channel is open, the environment is fresh, the uid is unprivileged, the parent-death
    signal survived the uid switch, and the repository's private folders do not exist inside."""
    assert box.session.isolated
    reply = box.run(textwrap.dedent(f"""
        import ctypes, os
        fds = []
        for fd in os.listdir('/proc/self/fd'):
            try:
                fds.append((int(fd), os.readlink('/proc/self/fd/' + fd)))
            except OSError:  # the descriptor listdir itself used, closed by now
                pass
        env = sorted(os.environ)
        uid = os.getuid()
        signal_number = ctypes.c_int(-1)
        ctypes.CDLL(None).prctl(2, ctypes.byref(signal_number), 0, 0, 0)  # PR_GET_PDEATHSIG
        pdeathsig = signal_number.value
        visible = [p for p in ({str(REPO_ROOT / 'solutions')!r}, {str(REPO_ROOT / 'tests')!r}, {str(REPO_ROOT / '.git')!r},
                               '/etc/shadow') if os.path.exists(p)]
        try:
            root_home = sorted(os.listdir('/root'))
        except OSError:  # not there, or not readable by the sandbox user
            root_home = []
        mounts = [line.split()[1] for line in open('/proc/self/mounts')]
    """), ["fds", "env", "uid", "pdeathsig", "visible", "mounts", "root_home"])
    assert not reply.error_type, reply.error
    values = reply.values
    extra = [(fd, target) for fd, target in values["fds"] if fd > 2 and not target.startswith("socket:")]
    assert extra == [], f"descriptors other than the channel reached the sandbox: {extra}"
    assert sum(target.startswith("socket:") for fd, target in values["fds"] if fd > 2) == 1
    assert set(values["env"]) <= {"PATH", "HOME", "MPLCONFIGDIR", "MPLBACKEND", "OMP_NUM_THREADS", "LANG", "TMPDIR",
                                  "USER", "LOGNAME"}
    assert values["uid"] >= SANDBOX_UID_BASE
    assert values["pdeathsig"] == signal.SIGKILL
    assert values["visible"] == []
    # /root exists inside only as the way to an interpreter installed there (pyenv): nothing else of it
    on_the_way = {Path(p).relative_to("/root").parts[0] for p in (sys.prefix, sys.base_prefix) if p.startswith("/root/")}
    assert set(values["root_home"]) <= on_the_way
    assert not any(m.startswith(str(REPO_ROOT / "solutions")) for m in values["mounts"])


@needs_root
def test_a_stalled_channel_times_out(tmp_path):
    """A header promising more bytes than follow: the grader gives up at the cell's limit."""
    made = _Box(tmp_path, Limits(notebook_timeout=60, cell_timeout=3, memory_gb=1.0, max_processes=32))
    try:
        started = time.monotonic()
        with pytest.raises(SandboxEnded) as ended:
            made.run("import gc, os, struct, time\n"
                     "[os.write(o.fileno(), struct.pack('!i', 1000) + b'{') for o in gc.get_objects() "
                     "if type(o).__name__ == 'Connection']\ntime.sleep(600)\n")
        assert ended.value.kind == "timeout"
        assert time.monotonic() - started < 30
    finally:
        made.session.close()


@needs_root
def test_shared_memory_counts_against_the_limit(tmp_path):
    """memfd pages escape RLIMIT_AS; the memory cgroup counts them and the status says memory."""
    made = _Box(tmp_path, Limits(notebook_timeout=120, cell_timeout=60, memory_gb=0.5, max_processes=32))
    try:
        with pytest.raises(SandboxEnded) as ended:
            # many files of 48 MB: each stays under RLIMIT_FSIZE, together they pass the limit
            made.run("import os\nchunk = b'x' * 2**24\nhoard = []\nfor _ in range(40):\n"
                     "    hoard.append(os.memfd_create('hoard'))\n"
                     "    for _ in range(3):\n        os.write(hoard[-1], chunk)\n")
        assert ended.value.kind == "memory", ended.value.detail
    finally:
        made.session.close()


@needs_root
def test_kill_9_of_the_grader_leaves_nothing(tmp_path):
    """The grader dies mid-cell while the notebook runs a loop and a child that left its session."""
    script = tmp_path / "grader.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path[:0] = [{str(REPO_ROOT)!r}, {str(Path(__file__).parent)!r}]
        from pathlib import Path
        from autograder.sandbox import Limits
        from test_hostile import _Box
        if __name__ == "__main__":
            # a slot far from those of the graders beside this test (another test, another run on this
            # machine): its uid is leased by nobody else, before or after the kill
            box = _Box(Path({str(tmp_path)!r}), Limits(notebook_timeout=600, cell_timeout=600), slot={LONE_SLOT})
            print(box.session.uid, flush=True)
            box.run("import os, subprocess, time\\n"
                    "subprocess.Popen(['sleep', '600'], start_new_session=True)\\n"
                    "if os.fork() == 0:\\n    os.setsid()\\n    time.sleep(600)\\n"
                    "while True:\\n    pass\\n")
    """), encoding="utf-8")
    grader = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    try:
        uid = int(grader.stdout.readline())
        deadline = time.monotonic() + 60
        while len(sandbox_processes(uid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(sandbox_processes(uid)) >= 3, "the notebook's processes did not start"
    finally:
        grader.send_signal(signal.SIGKILL)
        grader.wait()
    deadline = time.monotonic() + 15
    while sandbox_processes(uid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sandbox_processes(uid) == []
    assert not uids.is_leased(uid)  # the kernel dropped the dead grader's lease


# ---------------------------------------------------------------------------
# The decoder on hostile replies (no sandbox needed)
# ---------------------------------------------------------------------------


def _reply(**fields):
    return {"index": 1, **fields}


@pytest.mark.parametrize("message", [
    _reply(values={"got": {"$": "dict", "items": [[{"$": "tuple", "items": [[1]]}, 1]]}}),
    _reply(values={"got": {"$": "tensor", "dtype": "float32", "shape": [2**40], "data": ""}}),
    _reply(values={"got": {"$": "tensor", "dtype": "float32", "shape": [3], "data": "AAAA"}}),
    _reply(values={"got": {"$": "int", "v": "9" * 5000}}),
    _reply(values={"got": {"$": "float", "v": "1e400"}}),
    _reply(values={"got": {"$": "what"}}),
    _reply(values=[1]),
], ids=["unhashable-key", "huge-shape", "short-data", "huge-int", "bad-float", "unknown-tag", "values-list"])
def test_malformed_values_are_protocol_errors(message):
    with pytest.raises(protocol.ProtocolError):
        protocol.parse_reply(message, 1, ["got"], {"probe": 1000})


def test_fields_of_the_wrong_type_are_ignored_not_raised():
    reply = protocol.parse_reply(_reply(where=[[[], 1], [{"a": 1}, 2], ["probe", 3]], stdout=12, stderr=None,
                                        tampered={"x": 1}, error_type="", memory="yes"), 1, [], {"probe": 1000})
    assert reply.where == [("probe", 3)] and reply.stdout == "" and reply.tampered == [] and not reply.memory


def test_exception_names_carry_no_text_of_the_submission():
    """The type name of a hidden failure is shown to the student: only standard names pass."""
    leak = protocol.parse_reply(_reply(error_type="LEAK_generator_torch_Generator", error="x"), 1, [], {})
    assert leak.error_type == "Exception"
    for name in ("AssertionError", "ForbiddenBuiltinError", "NotImplementedError", "RuntimeError"):
        assert protocol.parse_reply(_reply(error_type=name, error="x"), 1, [], {}).error_type == name


def test_bool_tensors_decode_to_real_bools():
    data = {"$": "tensor", "dtype": "bool", "shape": [2], "data": "AgA=", "requires_grad": False, "device": "cpu"}
    value = protocol.decode_value(data)
    assert value.dtype is torch.bool and value.tolist() == [True, False]
    assert torch.equal(value.view(torch.uint8), torch.tensor([1, 0], dtype=torch.uint8))


def test_deep_nesting_and_surrogates():
    with pytest.raises(protocol.ProtocolError):
        protocol.loads(b"[" * 100_000 + b"]" * 100_000)
    text = protocol.safe_text("ok \ud800 end")
    assert text.encode("utf-8") and text.startswith("ok ") and text.endswith(" end")
    assert protocol.loads(protocol.dumps({"s": "\udfff"}))["s"] == "\udfff"  # ensure_ascii carries it


def test_tensor_subclasses_leave_as_plain_tensors():
    class Liar(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return True if getattr(func, "__name__", "") == "eq" else super().__torch_function__(func, types, args, kwargs or {})

    sent = protocol.encode_value(torch.zeros(3).as_subclass(Liar))
    back = protocol.decode_value(json.loads(json.dumps(sent)))
    assert type(back) is torch.Tensor and not torch.equal(back, torch.ones(3))


@pytest.mark.parametrize("value, shown", [
    ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+1+2", "'+1+2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("-1", "-1"), ("-x", "'-x"), ("\tx", "'\tx"), ("alice", "alice"), ("a\ud800b", "a?b"),
])
def test_csv_cells_are_never_formulas(value, shown):
    assert csv_cell(value) == shown
