"""The grader-side integrity scan (autograder/integrity.py) and how scoring charges its findings.

Unit cases name each construct and the line it must be found on; the budget cases check that a
huge or deeply nested answer is refused without being walked; the corpus case measures the false
positives over every correct corpus answer and every reference notebook (the budget is none) and
the detection over every forbidden corpus answer (the budget is all).
"""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

from _support import corpus_entries, submission_with_answer
from autograder import integrity
from autograder.course import REPO_ROOT
from autograder.grade import load_course
from autograder.integrity import Finding, scan_cells
from autograder.plan import plan_submission
from autograder.scoring import CellOutcome, NotebookRun, score
from lmtrain.loader import ANSWER_NOTEBOOKS
from lmtrain.notebook import nbgrader_meta

NB = "01_cross_entropy"
PROVIDED = "import math\n\nimport torch\nimport torch.nn.functional as F\n\nfrom lmtrain.checking import check_close, graded\n"


def scan(answer: str, *, scratch: str = "", answers=("cross_entropy", "perplexity")) -> list[Finding]:
    cells = [("cell-02", PROVIDED), ("cross_entropy", textwrap.dedent(answer))]
    if scratch:
        cells.append(("scratch", textwrap.dedent(scratch)))
    return scan_cells(cells, answers)


def kinds_and_lines(findings: list[Finding], kind: str) -> set[tuple[str, int]]:
    return {(f.cell, f.line) for f in findings if f.kind == kind}


# ---------------------------------------------------------------------------
# evasion: each construct, on its line
# ---------------------------------------------------------------------------

EVASIONS = {
    "sys_modules": ("import sys\nx = 1\nrunner = sys.modules['autograder.sandbox.runner']\n", 3, "sys.modules"),
    "grader_module": ("x = 1\nimport autograder.sandbox.runner as r\n", 2, "autograder"),
    "grader_from": ("x = 1\nfrom autograder.sandbox import runner\n", 2, "autograder"),
    "checking_internals": ("from lmtrain.checking import FORBIDDEN_BUILTINS\n", 1, "lmtrain.checking"),
    "checking_module": ("import lmtrain.checking\n", 1, "lmtrain.checking"),
    "notebook_internals": ("x = 1\nfrom lmtrain.notebook import AST_LOCK\n", 2, "lmtrain.notebook"),
    "getframe": ("import sys\ndef f():\n    return sys._getframe(1).f_locals\n", 3, "sys._getframe"),
    "frame_back": ("def f(frame):\n    return frame.f_back\n", 2, "f_back"),
    "traceback_frame": ("try:\n    1 / 0\nexcept Exception as e:\n    t = e.__traceback__.tb_frame\n", 4, "tb_frame"),
    "inspect_frames": ("import inspect\nf = inspect.currentframe()\n", 2, "inspect.currentframe"),
    "gc": ("x = 1\nimport gc\n", 2, "gc"),
    "gc_alias": ("import gc as collector\nobjs = collector.get_objects()\n", 1, "gc"),
    "settrace": ("import sys\nsys.settrace(None)\n", 2, "sys.settrace"),
    "setprofile_from": ("from sys import setprofile\n", 1, "sys.setprofile"),
    "threading_settrace": ("import threading\nthreading.settrace(print)\n", 1, "threading"),
    "threads": ("import _thread\n", 1, "_thread"),
    "multiprocessing": ("from multiprocessing import Process\n", 1, "multiprocessing"),
    "subprocess": ("import subprocess as sp\n", 1, "subprocess"),
    "fork": ("import os\npid = os.fork()\n", 2, "os.fork"),
    "system": ("import os\nos.system('ls')\n", 2, "os.system"),
    "execv": ("from os import execv\n", 1, "os.execv"),
    "spawn": ("import os\nos.spawnlp(0, 'ls')\n", 2, "os.spawnlp"),
    "ctypes": ("import ctypes\n", 1, "ctypes"),
    "importlib": ("import importlib\nF2 = importlib.import_module('torch.nn.functional')\n", 1, "importlib"),
    "dunder_import": ("m = __import__('sys')\n", 1, "__import__"),
    "exec": ("exec('x = 1')\n", 1, "exec"),
    "eval": ("y = eval('1 + 1')\n", 1, "eval"),
    "compile": ("c = compile('1', 'f', 'eval')\n", 1, "compile"),
    "builtins": ("import builtins\nbuiltins.print = None\n", 1, "builtins"),
    "dunder_builtins": ("b = __builtins__\n", 1, "__builtins__"),
    "globals": ("def f():\n    return globals()\n", 2, "globals"),
    "func_globals": ("def f():\n    return check_close.__globals__\n", 2, "__globals__"),
    "code": ("def f():\n    pass\nf.__code__ = f.__code__\n", 3, "__code__"),
    "subclasses": ("x = object.__subclasses__()\n", 1, "__subclasses__"),
    "module_dict": ("d = torch.nn.functional.__dict__\n", 1, "__dict__"),
    "class_assignment": ("def f(t):\n    t.__class__ = int\n", 2, "__class__"),
    "getattr_computed": ("fn = getattr(F, 'cross_' + 'entropy')\n", 1, "computed name"),
    "setattr_module": ("setattr(torch, 'allclose', lambda *a, **k: True)\n", 1, "setattr"),
    "vars_module": ("d = vars(F)\n", 1, "vars"),
    "torch_function": ("class T(torch.Tensor):\n    @classmethod\n    def __torch_function__(cls, *a):\n        pass\n",
                       3, "__torch_function__"),
    "torch_dispatch_attr": ("class M:\n    __torch_dispatch__ = None\n", 2, "__torch_dispatch__"),
    "dispatch_mode": ("from torch.utils._python_dispatch import TorchDispatchMode\n", 1, "TorchDispatchMode"),
    "function_mode": ("from torch.overrides import TorchFunctionMode\n", 1, "TorchFunctionMode"),
    "torch_library": ("lib = torch.library.Library('aten', 'IMPL')\n", 1, "torch.library"),
    "torch_C": ("x = 1\nk = torch._C._get_tracing_state\n", 2, "torch._C"),
    "monkeypatch_F": ("x = 1\nF.cross_entropy = lambda *a: 0\n", 2, "rebound"),
    "monkeypatch_torch_deep": ("torch.Tensor.add_ = torch.Tensor.add\n", 1, "rebound"),
    "monkeypatch_alias": ("import numpy as np\nnp.allclose = lambda *a, **k: True\n", 2, "rebound"),
    "monkeypatch_del": ("del torch.testing\n", 1, "rebound"),
    "monkeypatch_type": ("def f(t):\n    type(t).item = lambda self: 0.0\n", 2, "rebound"),
    "star_sys": ("from sys import *\n", 1, "import *"),
    "getattr_static": ("import inspect\nfn = inspect.getattr_static(F, 'cross_entropy')\n", 2, "getattr_static"),
    "attrgetter": ("from operator import attrgetter\n", 1, "attrgetter"),
    "proc_mem": ("x = 1\nwith open('/proc/self/mem', 'r+b') as f:\n    pass\n", 2, "/proc/self/mem"),
    "cpp_extension": ("from torch.utils.cpp_extension import load_inline\n", 1, "cpp_extension"),
    "asyncio": ("import asyncio\n", 1, "asyncio"),
    "module_getattr": ("fn = F.__getattr__\n", 1, "__getattr__"),
}


@pytest.mark.parametrize("name", sorted(EVASIONS))
def test_each_evasion_is_flagged_on_its_line(name):
    source, line, construct = EVASIONS[name]
    findings = scan(source)
    evasions = [f for f in findings if f.kind == "evasion"]
    assert any(f.cell == "cross_entropy" and f.line == line and construct in f.construct for f in evasions), (
        f"{name}: {[(f.construct, f.cell, f.line) for f in findings]}")
    assert kinds_and_lines(findings, "evasion") <= {("cross_entropy", n) for n in range(1, 20)}, \
        "a finding outside the cell that holds the construct"


def test_a_scratch_cell_is_scanned_too():
    findings = scan("def cross_entropy(x, y):\n    return x\n", scratch="x = 1\nimport gc\n")
    assert [(f.kind, f.cell, f.line) for f in findings] == [("evasion", "scratch", 2)]


# ---------------------------------------------------------------------------
# forbidden built-ins: any spelling, charged to the task that reaches it
# ---------------------------------------------------------------------------

SPELLINGS = {
    "plain": ("def cross_entropy(x, y):\n    return F.cross_entropy(x, y)\n", 2),
    "full_path": ("import torch\ndef cross_entropy(x, y):\n    return torch.nn.functional.cross_entropy(x, y)\n", 3),
    "alias_import": ("from torch.nn.functional import cross_entropy as ce\n\ndef cross_entropy(x, y):\n"
                     "    return ce(x, y)\n", 1),
    "module_alias": ("from torch.nn import functional as G\ndef cross_entropy(x, y):\n    return G.cross_entropy(x, y)\n", 3),
    "assigned_alias": ("loss = torch.nn.functional\nfn = loss.nll_loss\ndef cross_entropy(x, y):\n"
                       "    return fn(torch.log_softmax(x, -1), y)\n", 2),
    "local_alias": ("def cross_entropy(x, y):\n    import torch.nn.functional as G\n    g = G\n"
                    "    return g.cross_entropy(x, y)\n", 4),
    "literal_getattr": ("def cross_entropy(x, y):\n    return getattr(F, 'cross_entropy')(x, y)\n", 2),
    "module_class": ("def cross_entropy(x, y):\n    return torch.nn.CrossEntropyLoss()(x, y)\n", 2),
    "nll_module": ("from torch import nn\ndef cross_entropy(x, y):\n    return nn.NLLLoss()(x.log_softmax(-1), y)\n", 3),
    "nll_loss": ("def cross_entropy(x, y):\n    return F.nll_loss(F.log_softmax(x, -1), y)\n", 2),
    "c_binding": ("def cross_entropy(x, y):\n    return torch._C._nn.cross_entropy_loss(x, y, None, 1, -100, 0.0)\n", 2),
    "aten_op": ("def cross_entropy(x, y):\n    return torch.ops.aten.nll_loss_forward(x, y, None, 1, -100)[0]\n", 2),
    "through_helper": ("def _helper(x, y):\n    return F.cross_entropy(x, y)\n\ndef cross_entropy(x, y):\n"
                       "    return _helper(x, y)\n", 2),
    "assigned_name": ("cross_entropy = F.cross_entropy\n", 1),
    "table": ("LOSSES = {'ce': F.cross_entropy}\ndef cross_entropy(x, y):\n    return LOSSES['ce'](x, y)\n", 1),
    "star_import": ("from torch.nn.functional import *\ndef cross_entropy(x, y):\n    return nll_loss(x, y)\n", 3),
}


@pytest.mark.parametrize("name", sorted(SPELLINGS))
def test_each_spelling_of_the_builtin_is_forbidden(name):
    source, line = SPELLINGS[name]
    findings = scan(source)
    forbidden = [(f.task, f.cell, f.line) for f in findings if f.kind == "forbidden"]
    assert ("cross_entropy", "cross_entropy", line) in forbidden, (name, [(f.kind, f.construct, f.line) for f in findings])
    assert {task for task, _cell, _line in forbidden} == {"cross_entropy"}, "perplexity does not call it"


@pytest.mark.parametrize("task, answer, line", [
    ("AdamW", "class AdamW(torch.optim.AdamW):\n    pass\n", 1),
    ("AdamW", "import torch.optim as optim\nclass AdamW:\n    def __init__(self, p):\n        self.inner = optim.Adam(p)\n", 4),
    ("AdamW", "def AdamW(params, **kw):\n    return torch._fused_adamw_\n", 2),
    ("SGD", "from torch.optim import SGD as _S\nclass SGD(_S):\n    pass\n", 1),
    ("get_lr_cosine_schedule", "from torch.optim.lr_scheduler import CosineAnnealingLR\n"
                               "def get_lr_cosine_schedule(it, a, b, w, c):\n    return CosineAnnealingLR\n", 3),
    ("gradient_clipping", "from torch.nn.utils import clip_grad_norm_ as clip\n"
                          "def gradient_clipping(ps, m):\n    clip(ps, m)\n", 1),
    ("gradient_clipping", "def gradient_clipping(ps, m):\n    torch.nn.utils.clip_grad_norm_(ps, m)\n", 2),
    ("gradient_clipping", "def gradient_clipping(ps, m):\n    return torch.nn.utils.get_total_norm([p.grad for p in ps])\n", 2),
    ("gradient_clipping", "def gradient_clipping(ps, m):\n    torch.nn.utils.clip_grads_with_norm_(ps, m, 1.0)\n", 2),
    ("AdamW", "from torch.optim import _functional\nclass AdamW:\n    step = _functional.adamw\n", 3),
    ("gradient_clipping", "from torch.nn.utils import clip_grad\ndef gradient_clipping(ps, m):\n"
                          "    clip_grad.clip_grad_norm_(ps, m)\n", 3),
])
def test_other_tasks_builtins_are_forbidden(task, answer, line):
    findings = scan_cells([("imports", "import torch\n"), ("answer", answer)], [task])
    assert (task, line) in {(f.task, f.line) for f in findings if f.kind == "forbidden"}, findings


def test_a_comparison_in_a_scratch_cell_is_not_charged():
    findings = scan("def cross_entropy(x, y):\n    return (x.logsumexp(-1) - x.gather(-1, y[..., None])[..., 0]).mean()\n",
                    scratch="print(F.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1])))\n"
                            "def compare(x, y):\n    return F.cross_entropy(x, y) - cross_entropy(x, y)\n")
    assert findings == []


def test_a_task_is_charged_only_for_what_its_own_function_reaches():
    """perplexity calling the student's cross_entropy is cross_entropy's charge, not perplexity's."""
    findings = scan("def cross_entropy(x, y):\n    return F.cross_entropy(x, y)\n\n"
                    "def perplexity(x, y):\n    return torch.exp(cross_entropy(x, y))\n")
    assert {f.task for f in findings if f.kind == "forbidden"} == {"cross_entropy"}
    findings = scan("def cross_entropy(x, y):\n    return x.sum()\n\n"
                    "def perplexity(x, y):\n    return torch.exp(F.cross_entropy(x, y))\n")
    assert {(f.task, f.line) for f in findings if f.kind == "forbidden"} == {("perplexity", 5)}


def test_a_local_name_is_not_the_global_alias_of_the_same_name():
    findings = scan("def cross_entropy(x, y):\n    fn = x.exp\n    return fn().sum()\n",
                    scratch="def demo(x, y):\n    fn = F.cross_entropy\n    return fn(x, y)\n")
    assert findings == []


# ---------------------------------------------------------------------------
# honest code is left alone
# ---------------------------------------------------------------------------

HONEST = """\
import copy
import functools
import io
import itertools
import math
import os
import pathlib
import typing
from collections import OrderedDict, defaultdict
from collections.abc import Iterable

import numpy as np
import torch
from torch import nn


@functools.lru_cache(maxsize=None)
def table(n):
    return list(itertools.accumulate(range(n)))


class Box(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(3))
        self.__dict__["note"] = "mine"

    def forward(self, x):
        return torch.nn.functional.relu(x) + F.softmax(x, -1) + F.log_softmax(x, -1) + self.w


def cross_entropy(inputs, targets):
    with torch.no_grad():
        peak = inputs.max(dim=-1, keepdim=True).values
    shifted = inputs - peak
    return (shifted.exp().sum(-1).log() - shifted.gather(-1, targets.unsqueeze(-1)).squeeze(-1)).mean()


def perplexity(inputs, targets):
    return torch.exp(cross_entropy(inputs, targets))


def clip(parameters, limit):
    grads = [p.grad for p in parameters if p.grad is not None]
    norm = math.sqrt(sum(float(g.double().square().sum()) for g in grads))
    for g in grads:
        g.mul_(limit / (norm + 1e-6))
    return copy.deepcopy(norm)


def batches(path: typing.Union[str, os.PathLike], n: int):
    data = np.memmap(os.path.join(path, "x.bin"), dtype=np.uint16, mode="r")
    out = OrderedDict(a=1)
    counts = defaultdict(int)
    buffer = io.BytesIO()
    torch.save({"x": torch.tensor(data[:n].astype(np.int64))}, buffer)
    return pathlib.Path(path).name, out, counts, getattr(torch, "float32"), getattr(buffer, "seek")


class Opt(torch.optim.Optimizer):
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["t"] = state.get("t", 0) + 1
                setattr(p, "tag", 1)
                getattr(self, "name", None)
        return None


model = Box()
model.eval()
torch.backends.cudnn.benchmark = False
found = hasattr(torch, "compile" if model else "jit")
"""


def test_honest_code_is_not_flagged():
    assert scan(HONEST) == []


# ---------------------------------------------------------------------------
# bounded work
# ---------------------------------------------------------------------------


def test_code_over_the_size_budget_is_refused_unparsed(monkeypatch):
    def no_parse(*_args, **_kwargs):
        raise AssertionError("parsed")

    monkeypatch.setattr(integrity, "parsed", no_parse)
    huge = "x = 1\n" * (integrity.MAX_SCAN_CHARS // 6 + 1)
    findings = scan_cells([("first", "import torch\n"), ("huge", huge)], ["cross_entropy"])
    assert [(f.kind, f.cell) for f in findings] == [("evasion", "first")]
    assert "too long to scan" in findings[0].construct


def test_the_budget_counts_the_submission_and_charges_its_first_cell():
    huge = "x = 1\n" * (integrity.MAX_SCAN_CHARS // 6 + 1)
    findings = scan_cells([("mine", "import math\n"), ("huge", huge)], ["cross_entropy"], provided=PROVIDED)
    assert [(f.kind, f.cell) for f in findings] == [("evasion", "mine")]


def test_the_provided_code_binds_names_and_is_followed_but_not_flagged():
    provided = PROVIDED + "import gc\n\ndef reference(x, y):\n    return F.cross_entropy(x, y)\n"
    assert scan_cells([("mine", "def cross_entropy(x, y):\n    return x.sum()\n")], ["cross_entropy"],
                      provided=provided) == []
    findings = scan_cells([("mine", "def cross_entropy(x, y):\n    return reference(x, y)\n")], ["cross_entropy"],
                          provided=provided)
    assert [(f.kind, f.cell, f.task) for f in findings] == [("forbidden", integrity.PROVIDED_CELL, "cross_entropy")]
    # the submission deleted the cell that imports F: the provided imports still bind it
    findings = scan_cells([("mine", "def cross_entropy(x, y):\n    return F.nll_loss(x, y)\n")], ["cross_entropy"],
                          provided=PROVIDED)
    assert [(f.kind, f.cell, f.line) for f in findings] == [("forbidden", "mine", 2)]


def test_code_over_the_node_budget_is_refused(monkeypatch):
    monkeypatch.setattr(integrity, "MAX_NODES", 1_000)
    findings = scan_cells([("first", "import torch\n"), ("many", "x = [" + "1, " * 2_000 + "]\nimport gc\n")],
                          ["cross_entropy"])
    assert [(f.kind, f.cell) for f in findings] == [("evasion", "first")]
    assert "too large to scan" in findings[0].construct


def test_deep_nesting_is_walked_without_recursion(monkeypatch):
    """A tree deeper than the recursion limit (parsed here under a raised limit, as a sandbox whose
    submission raised its own could run it) is walked to the end: nothing in the scan recurses."""
    real_parse = integrity.parsed

    def parse_deep(source):
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(60_000)
        try:
            return real_parse(source)
        finally:
            sys.setrecursionlimit(limit)

    monkeypatch.setattr(integrity, "parsed", parse_deep)
    depth = 3 * sys.getrecursionlimit()
    deep = "y = x" + ".b" * depth + "\nz = " + "-" * depth + "1\nw = " + "1 + " * depth + "1\nimport gc\n"
    findings = scan_cells([("deep", deep)], [])
    assert [(f.kind, f.line) for f in findings] == [("evasion", 4)]


def test_code_the_parser_cannot_take_is_flagged():
    """A tree too deep for the parser here: the sandbox cannot run it either, unless the submission
    raised its recursion limit first; unscanned code is not trusted."""
    findings = scan_cells([("first", "import torch\n"), ("deep", "y = " + "-" * 100_000 + "1\n")], [])
    assert [(f.kind, f.cell) for f in findings] == [("evasion", "deep")]
    assert "cannot be scanned" in findings[0].construct


def test_a_cell_that_is_not_python_is_skipped():
    assert scan_cells([("magic", "%timeit 1 + 1\n"), ("ok", "import math\n")], []) == []


def test_the_reference_notebooks_are_well_inside_the_budgets():
    """Three times the whole code of any reference notebook, graded cells included, fits (the scan reads
    only the answer and scratch cells, a fraction of it)."""
    import ast

    for name, notebook in _reference_notebooks():
        code = [_text(cell) for cell in notebook["cells"] if cell.get("cell_type") == "code"]
        nodes = sum(1 for text in code for _node in ast.walk(ast.parse(text)))
        assert 3 * sum(map(len, code)) < integrity.MAX_SCAN_CHARS, name
        assert 3 * nodes < integrity.MAX_NODES, name


# ---------------------------------------------------------------------------
# the budget of false positives, measured: none; of missed forbidden answers: none
# ---------------------------------------------------------------------------


def _text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _reference_notebooks():
    for path in sorted((REPO_ROOT / "solutions").glob("*/*.ipynb")):
        yield path.stem, json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def course():
    return load_course(REPO_ROOT)


def test_no_reference_notebook_is_flagged(course):
    flagged = {}
    for name, notebook in _reference_notebooks():
        findings = plan_submission(course[name], notebook).findings
        if findings:
            flagged[name] = [f.describe() for f in findings]
    assert flagged == {}, flagged


def test_no_correct_corpus_answer_is_flagged_and_every_forbidden_one_is(course):
    entries = [e for e in corpus_entries() if e.kind in ("correct", "forbidden")]
    flagged, missed = {}, {}
    for entry in entries:
        submission = json.loads(submission_with_answer(entry.function, entry.path.read_text(encoding="utf-8")))
        findings = plan_submission(course[ANSWER_NOTEBOOKS[entry.function]], submission).findings
        if entry.kind == "correct" and findings:
            flagged[entry.test_id] = [f.describe() for f in findings]
        elif entry.kind == "forbidden" and not findings:
            missed[entry.test_id] = "not flagged"
    correct = sum(e.kind == "correct" for e in entries)
    assert correct >= 50, f"only {correct} correct answers measured"
    assert flagged == {}, f"{len(flagged)} of {correct} correct answers flagged: {flagged}"
    assert missed == {}, missed


# ---------------------------------------------------------------------------
# scoring: what each kind of finding costs
# ---------------------------------------------------------------------------


def _graded_run(plan) -> NotebookRun:
    """Every planned cell ran and passed (no sections: nothing failed)."""
    return NotebookRun(cells=[CellOutcome(c.name, c.kind, complete=True) for c in plan.cells])


def _submission(answer: str, *, scratch_after: str | None = None) -> dict:
    notebook = json.loads(submission_with_answer("cross_entropy", answer))
    if scratch_after is not None:
        index = next(i for i, c in enumerate(notebook["cells"])
                     if nbgrader_meta(c).get("grade_id") == scratch_after)
        notebook["cells"].insert(index + 1, {"cell_type": "code", "execution_count": None, "id": "scratch",
                                             "metadata": {}, "outputs": [], "source": "import gc\n"})
    return notebook


def test_a_forbidden_builtin_costs_its_task_only(course):
    source = course[NB]
    plan = plan_submission(source, _submission("def cross_entropy(inputs, targets):\n"
                                               "    return F.cross_entropy(inputs.flatten(0, -2), targets.flatten())\n"))
    result = score("s", source, plan, _graded_run(plan))
    statuses = {t.grade_id: (t.score, t.status) for t in result.tests}
    assert statuses == {"cross_entropy_values": (0, "integrity"), "cross_entropy_stability": (0, "integrity"),
                        "cross_entropy_gradient": (0, "integrity"), "perplexity_values": (1, "passed")}
    assert result.status == "integrity" and result.score == 1
    rows = [detail for kind, detail in result.integrity if kind == "forbidden"]
    assert rows and "torch.nn.functional.cross_entropy" in rows[0] and "cell cross_entropy, line 2" in rows[0]


def test_an_evasion_costs_every_graded_cell_after_it(course):
    source = course[NB]
    plan = plan_submission(source, _submission(_reference_answer(), scratch_after="cross_entropy_stability"))
    result = score("s", source, plan, _graded_run(plan))
    statuses = {t.grade_id: (t.score, t.status) for t in result.tests}
    assert statuses == {"cross_entropy_values": (2, "passed"), "cross_entropy_stability": (1, "passed"),
                        "cross_entropy_gradient": (0, "integrity"), "perplexity_values": (0, "integrity")}
    assert result.status == "integrity"
    assert any(kind == "evasion" and "cell scratch, line 1" in detail for kind, detail in result.integrity)


def test_a_run_that_stopped_keeps_its_status(course):
    source = course[NB]
    plan = plan_submission(source, _submission(_reference_answer(), scratch_after="cross_entropy_stability"))
    run = _graded_run(plan)
    run.ended, run.detail = "timeout", "the notebook ran past its limit"
    result = score("s", source, plan, run)
    assert result.status == "timeout"
    assert {t.grade_id for t in result.tests if t.status == "integrity"} == {"cross_entropy_gradient",
                                                                            "perplexity_values"}


def _reference_answer() -> str:
    notebook = json.loads((REPO_ROOT / "solutions" / NB / f"{NB}.ipynb").read_text(encoding="utf-8"))
    cell = next(c for c in notebook["cells"] if nbgrader_meta(c).get("grade_id") == "cross_entropy")
    return _text(cell)
