"""Static rules on graded cells' sections: nothing a check compares against is built where the sandbox can see it.

A ``### SETUP`` section runs in the grader *and* in the sandbox, beside the
student's code, which can read its globals. Inputs belong there; an expected
value or a reference state does not: a submission could find it and hand it
back as its own result. These rules read the sections' code (they run
nothing) and name every cell that breaks them, so the release refuses it:

* :func:`setup_leaks`: every name a setup binds is an input, so a drive of the
  same cell reads it. A name no drive reads is either something only a check
  needs (an expected value or a reference state computed where the sandbox can
  see it) or something nobody in the cell needs, which a later cell or a
  helper could still pick up; both are refused. The one exception is a step of
  building the inputs (a generator, a loop variable): read by the setups
  themselves and never by a check. A setup that calls reference code (the
  notebook's ``reference_*`` helpers, the functions its answer cells define,
  ``F.cross_entropy``, ``torch.optim.AdamW``, ``clip_grad_norm_``) computes
  expected values there too.

A hidden section's inputs must also be unknown until the grader runs it (see
``lmtrain.seeds``): the hidden tests are published with the course, so a
generator seeded from a literal draws inputs anyone can compute at home.

* :func:`literal_seeds`: a hidden section that seeds a generator from a literal
  (``torch.manual_seed(52)``, ``torch.Generator().manual_seed(2024)``,
  ``np.random.default_rng(61)``, ``np.random.seed(0)``, ``random.seed(0)``,
  ``random.Random(2024)``) or passes a literal as a ``seed=`` (or ``*_seed=``)
  argument is refused; it takes a stream of the cell's seed instead
  (``cell_generator(n)``, ``cell_rng(n)``, ``cell_seed_for(n)``).
"""

from __future__ import annotations

import ast

from lmtrain.notebook import cells_of, graded_sections, parse_python

__all__ = ["REFERENCE_CALLS", "SEEDING_CALLS", "reference_names", "answer_names", "setup_leaks", "notebook_leaks",
           "literal_seeds", "notebook_literal_seeds"]

#: Library functions the checks use as oracles: a setup that calls one computes an expected value.
REFERENCE_CALLS = frozenset({
    "F.cross_entropy",
    "torch.nn.functional.cross_entropy",
    "torch.optim.AdamW",
    "torch.optim.Adam",
    "clip_grad_norm_",
})

_REFERENCE_PREFIXES = ("reference_", "_reference")


def _dotted(node: ast.AST) -> str:
    """``torch.optim.AdamW`` for the call target ``torch.optim.AdamW``; "" when it is not a plain name chain."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    parts.append(node.id)
    return ".".join(reversed(parts))


def _loads(tree: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def _top_level_bindings(tree: ast.Module, *, values_only: bool) -> set[str]:
    """Names bound at module level (assignments, loop targets, with targets, defs unless ``values_only``)."""
    names: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if not values_only:
                names.add(statement.name)
            continue
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            if not values_only:
                names.update((alias.asname or alias.name).split(".")[0] for alias in statement.names)
            continue
        for node in ast.walk(statement):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.NamedExpr):
                names.add(node.target.id)
    # names bound only inside a comprehension are the comprehension's own
    for node in ast.walk(tree):
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            for generator in node.generators:
                for target in ast.walk(generator.target):
                    if isinstance(target, ast.Name) and not _bound_outside(tree, target.id, node):
                        names.discard(target.id)
    return names


def _bound_outside(tree: ast.Module, name: str, comprehension: ast.AST) -> bool:
    inside = {id(n) for n in ast.walk(comprehension)}
    return any(isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id == name and id(n) not in inside
               for n in ast.walk(tree))


def _loop_targets(tree: ast.Module) -> set[str]:
    """Names a setup binds only as the target of a ``for`` loop: parts of an iterable it already holds."""
    targets = {node.id for statement in ast.walk(tree) if isinstance(statement, (ast.For, ast.AsyncFor))
               for node in ast.walk(statement.target) if isinstance(node, ast.Name)}
    other = {node.id for statement in ast.walk(tree) if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign,
                                                                                ast.With, ast.NamedExpr))
             for node in ast.walk(statement) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    return targets - other


def _parsed(sources: list[str]):
    """The syntax tree of each source that parses (one that does not is the release's to report)."""
    for source in sources:
        try:
            yield parse_python(source)
        except SyntaxError:
            continue


def reference_names(sources: list[str]) -> set[str]:
    """Functions that ``sources`` (a notebook's helper and provided cells) define as references."""
    names = set()
    for tree in _parsed(sources):
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith(_REFERENCE_PREFIXES):
                names.add(node.name)
    return names


def answer_names(sources: list[str]) -> set[str]:
    """Functions and classes that ``sources`` (a notebook's answer cells) define: in the grader they are the
    reference solution, in the sandbox the student's, so a setup calling one computes a reference result."""
    names = set()
    for tree in _parsed(sources):
        names |= {node.name for node in tree.body
                  if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    return names


def _executed_nodes(tree: ast.AST):
    """Every node that runs when ``tree`` runs: function and lambda bodies are left out (a function a
    setup defines is a stand-in for the drive to call, such as a reference in place of a student's part)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                continue
            stack.append(child)


def _reference_calls(tree: ast.AST, references: set[str]) -> list[str]:
    """The reference functions a setup calls while it runs, in the order met."""
    found = []
    for node in _executed_nodes(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        last = name.rsplit(".", 1)[-1]
        if name and (name in REFERENCE_CALLS or last in REFERENCE_CALLS or name in references
                     or last.startswith(_REFERENCE_PREFIXES)):
            if name not in found:
                found.append(name)
    return found


def setup_leaks(cell_source: str, cell: str = "the cell", references: set[str] | frozenset = frozenset(),
                read_elsewhere: set[str] | frozenset = frozenset()) -> list[str]:
    """What graded cell ``cell``'s setup sections bind that no drive reads, one message each ([] when nothing).

    ``references``: the names of the notebook's reference functions (see :func:`reference_names`);
    ``reference_*`` and ``_reference*`` calls are recognised without it. ``read_elsewhere``: names the
    drives of later cells read (a helper cell's setup builds inputs for them).
    """
    sections = graded_sections(cell_source)
    trees = [parse_python(section.source, filename=f"<{cell}>") for section in sections]
    problems = []
    for index, (section, tree) in enumerate(zip(sections, trees)):
        if section.kind != "setup":
            continue
        where = f"{cell}, {'hidden ' if section.hidden else ''}### SETUP at line {section.first_line}"
        for call in _reference_calls(tree, set(references)):
            problems.append(
                f"{where} calls the reference {call}(...): it computes an expected value where the student's code "
                "can read it. Compute it in the ### CHECK that needs it.")
        later = list(zip(sections[index + 1:], trees[index + 1:]))
        read_by_drives = set(read_elsewhere)
        read_by_setups = _loads(tree)  # a step of building the inputs: read by the setup itself
        read_by_checks = set()
        for other, other_tree in later:
            if other.kind == "drive":
                read_by_drives |= _loads(other_tree)
            elif other.kind == "setup":
                read_by_setups |= _loads(other_tree)
            elif other.kind == "check":
                read_by_checks |= _loads(other_tree) - _top_level_bindings(other_tree, values_only=False)
        for name in sorted(_top_level_bindings(tree, values_only=True)):
            if name in read_by_drives:
                continue
            if name in read_by_checks:
                problems.append(
                    f"{where} binds {name!r}, which no drive reads but a check does: an expected value or reference "
                    f"state the student's code can read. Compute {name!r} in the ### CHECK that needs it.")
            elif name not in read_by_setups and name != "_" and name not in _loop_targets(tree):
                problems.append(
                    f"{where} binds {name!r}, which no drive of the cell reads: a setup builds inputs only. "
                    f"Drop {name!r}, or compute it in the ### CHECK that needs it.")
    return problems


def notebook_leaks(notebook: dict, label: str = "the notebook") -> list[str]:
    """:func:`setup_leaks` for every graded cell of a source notebook, each message naming ``label`` and the cell."""
    cells = cells_of(notebook)
    references = reference_names([c.source for c in cells if c.role in ("graded", "provided")])
    references |= answer_names([c.source for c in cells if c.role == "answer" and c.cell_type == "code"])
    graded = [cell for cell in cells if cell.role == "graded"]
    problems = []
    for index, cell in enumerate(graded):
        # a helper cell (0 points) builds inputs for the cells after it: their drives read what it binds
        read_elsewhere = _drive_loads(graded[index + 1:]) if not cell.points else set()
        problems += setup_leaks(cell.source, f"{label}: graded cell {cell.key}", references, read_elsewhere)
    return problems


def _drive_loads(cells) -> set[str]:
    names = set()
    for cell in cells:
        for section in graded_sections(cell.source):
            if section.kind == "drive":
                names |= _loads(parse_python(section.source))
    return names


# ---------------------------------------------------------------------------
# Hidden inputs from the cell's seed, never from a literal
# ---------------------------------------------------------------------------

#: Calls that seed a generator with their first argument, by the last part of their name
#: (``torch.manual_seed``, ``torch.Generator().manual_seed``, ``np.random.default_rng``, ``random.Random``...).
SEEDING_CALLS = frozenset({"manual_seed", "default_rng", "Random", "RandomState", "SeedSequence", "seed"})


def _is_literal(node: ast.AST) -> bool:
    """A number written in the code, or arithmetic on such numbers only (``52``, ``100 + 3``, ``-1``)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, ast.UnaryOp):
        return _is_literal(node.operand)
    if isinstance(node, ast.BinOp):
        return _is_literal(node.left) and _is_literal(node.right)
    return False


def _call_name(node: ast.Call) -> str:
    """``torch.manual_seed`` or ``torch.Generator().manual_seed``: the callee as written."""
    if isinstance(node.func, ast.Attribute):
        return f"{ast.unparse(node.func.value)}.{node.func.attr}"
    return ast.unparse(node.func)


def _literal_seedings(tree: ast.AST) -> list[str]:
    """Each call in ``tree`` that seeds from a literal, as written."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        last = name.rsplit(".", 1)[-1]
        # random.seed(0) and np.random.seed(0), not any method that happens to be called seed
        seeding = last in SEEDING_CALLS and (last != "seed" or name.endswith("random.seed"))
        seed_args = [node.args[0]] if seeding and node.args else []
        seed_args += [k.value for k in node.keywords if k.arg and (k.arg == "seed" or k.arg.endswith("_seed"))]
        if any(_is_literal(arg) for arg in seed_args):
            found.append(ast.unparse(node))
    return found


def literal_seeds(cell_source: str, cell: str = "the cell") -> list[str]:
    """What graded cell ``cell``'s hidden sections seed from a literal, one message each ([] when nothing)."""
    problems = []
    for section in graded_sections(cell_source):
        if not section.hidden:
            continue  # visible inputs are shown to the student anyway
        tree = parse_python(section.source, filename=f"<{cell}>")
        for call in _literal_seedings(tree):
            problems.append(
                f"{cell}, hidden ### {section.kind.upper()} at line {section.first_line} seeds from a literal: {call}. "
                "The hidden tests are published, so anyone can draw these inputs at home; take a stream of the "
                "cell's seed instead (from lmtrain.seeds: cell_generator(n), cell_rng(n) or cell_seed_for(n)).")
    return problems


def notebook_literal_seeds(notebook: dict, label: str = "the notebook") -> list[str]:
    """:func:`literal_seeds` for every graded cell of a source notebook, each message naming ``label`` and the cell."""
    return [problem for cell in cells_of(notebook) if cell.role == "graded"
            for problem in literal_seeds(cell.source, f"{label}: graded cell {cell.key}")]
