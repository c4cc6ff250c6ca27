"""Import a student's answers from their notebooks, so later notebooks can use them.

Of the answer cells (nbgrader ``solution`` code cells) the top-level imports,
``def`` and ``class`` statements and the assignments that call nothing (a
constant such as ``EPS = 1e-6`` or ``DTYPE = torch.float32`` that a
function reads; one that fails is skipped) run; of the notebook's other code
cells only the top-level imports (answers use the notebook's shared
``import torch`` cell). Demos, prints and tests never run, and graded test
cells are not read at all.
"""

from __future__ import annotations

import ast
import types
from pathlib import Path

from .notebook import NotebookFormatError, compile_tree, parse_python, read_cells

__all__ = [
    "ANSWER_NOTEBOOKS",
    "MissingAnswerError",
    "load_notebook_answers",
    "load_answers",
    "notebook_path",
]

#: Which notebook defines each student function (CS336 names).
ANSWER_NOTEBOOKS: dict[str, str] = {
    "cross_entropy": "01_cross_entropy",
    "perplexity": "01_cross_entropy",
    "SGD": "02_sgd",
    "AdamW": "03_adamw",
    "adamw_memory": "03_adamw",
    "max_batch_size": "03_adamw",
    "forward_flops": "03_adamw",
    "adamw_step_flops": "03_adamw",
    "training_step_flops": "03_adamw",
    "training_days": "03_adamw",
    "get_lr_cosine_schedule": "04_lr_schedule",
    "gradient_clipping": "05_gradient_clipping",
    "get_batch": "06_get_batch",
    "save_checkpoint": "07_checkpointing",
    "load_checkpoint": "07_checkpointing",
    "train_step": "08_train_lm",
}

_KEPT_STATEMENTS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                    ast.Assign, ast.AnnAssign)


class MissingAnswerError(ImportError):
    """A notebook lacks an answer, or the answer is still the stub."""


def repo_root() -> Path:
    """The workbook's top folder (the one holding ``notebooks/`` and ``solutions/``)."""
    return Path(__file__).resolve().parents[2]


def notebook_path(assignment: str, folder: str | Path = "notebooks") -> Path:
    """``<folder>/<assignment>/<assignment>.ipynb``; a relative folder is taken from the repo root."""
    folder = Path(folder)
    if not folder.is_absolute():
        folder = repo_root() / folder
    return folder / assignment / f"{assignment}.ipynb"


def _is_computation(node: ast.stmt) -> bool:
    """An assignment that calls something (a demo, a training run): not a constant, not loaded."""
    if not isinstance(node, (ast.Assign, ast.AnnAssign)):
        return False
    return node.value is None or any(isinstance(n, (ast.Call, ast.Await, ast.Yield)) for n in ast.walk(node.value))


def _is_stub(body: list[ast.stmt]) -> bool:
    """True when a body (docstring aside) only raises NotImplementedError."""
    statements = [
        s for s in body
        if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str))
    ]
    if len(statements) != 1 or not isinstance(statements[0], ast.Raise):
        return False
    exc = statements[0].exc
    if isinstance(exc, ast.Call):
        exc = exc.func
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def _unfinished(node: ast.stmt) -> bool:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return _is_stub(node.body)
    if isinstance(node, ast.ClassDef):
        return any(
            isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_stub(item.body)
            for item in node.body
        )
    return False


def _code_cells(path: Path) -> list[tuple[str, str, bool]]:
    """(cell id, source, is answer cell) of every code cell except graded tests, in order."""
    if not path.exists():
        raise MissingAnswerError(f"{path} does not exist: open and save that notebook first.")
    try:
        cells = read_cells(path)
    except NotebookFormatError as exc:
        raise MissingAnswerError(
            f"{exc}. Restore it from version control or re-download it, then copy your answers back in."
        ) from None
    return [(cell.grade_id or f"cell {cell.index}", cell.source, cell.role == "answer")
            for cell in cells if cell.role in ("answer", "provided")]


def load_notebook_answers(path: str | Path, names: list[str] | None = None) -> types.ModuleType:
    """Execute the definitions in a notebook's answer cells and return them as a module.

    ``names``, when given, must all be defined and finished; otherwise
    :class:`MissingAnswerError` says which are missing or still stubs.
    """
    path = Path(path)
    module = types.ModuleType(f"answers_{path.stem}")
    module.__file__ = str(path)
    unfinished: set[str] = set()
    for cell_id, source, is_answer in _code_cells(path):
        try:
            tree = parse_python(source, filename=f"{path.name}:{cell_id}")
        except SyntaxError as exc:
            if not is_answer:
                continue  # a broken demo cell has no definitions to offer
            raise MissingAnswerError(
                f"{path.name}, answer cell '{cell_id}', line {exc.lineno}: syntax error ({exc.msg}). "
                "Fix it in the notebook and run the cell again."
            ) from None
        wanted = _KEPT_STATEMENTS if is_answer else (ast.Import, ast.ImportFrom)
        kept = [node for node in tree.body if isinstance(node, wanted) and not _is_computation(node)]
        unfinished.update(
            node.name for node in kept
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and _unfinished(node)
        )
        for node in kept:
            code = compile_tree(ast.Module(body=[node], type_ignores=[]), f"{path.name}:{cell_id}", "exec")
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                try:
                    exec(code, module.__dict__)
                except Exception:  # noqa: BLE001 - a constant that cannot be computed here is left out
                    pass
            else:
                exec(code, module.__dict__)
    if names:
        missing = [n for n in names if n not in module.__dict__]
        stubs = [n for n in names if n in unfinished]
        problems = []
        if missing:
            problems.append(f"not defined: {', '.join(missing)}")
        if stubs:
            problems.append(f"still raising NotImplementedError: {', '.join(stubs)}")
        if problems:
            raise MissingAnswerError(
                f"{path}: {'; '.join(problems)}. Finish those tasks in that notebook "
                "(its visible checks tell you when they work), save it, and run this cell again."
            )
    return module


def load_answers(names: list[str], folder: str | Path = "notebooks") -> types.SimpleNamespace:
    """Load each named student function from the notebook that defines it.

    ``folder`` is ``"notebooks"`` for the student's own work or
    ``"solutions"`` for the reference answers.
    """
    unknown = [n for n in names if n not in ANSWER_NOTEBOOKS]
    if unknown:
        raise KeyError(f"No notebook defines {', '.join(unknown)}; known: {', '.join(ANSWER_NOTEBOOKS)}.")
    by_notebook: dict[str, list[str]] = {}
    for name in names:
        by_notebook.setdefault(ANSWER_NOTEBOOKS[name], []).append(name)
    loaded = {}
    errors = []
    for assignment, wanted in by_notebook.items():
        try:
            module = load_notebook_answers(notebook_path(assignment, folder), wanted)
        except MissingAnswerError as exc:
            errors.append(str(exc))
            continue
        loaded.update({n: getattr(module, n) for n in wanted})
    if errors:
        raise MissingAnswerError("\n".join(errors))
    return types.SimpleNamespace(**loaded)
