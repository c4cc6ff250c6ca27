"""Mutation testing of the hidden tests: small bugs planted in every reference answer, each graded.

Every answer cell of ``solutions/*/*.ipynb`` that defines the function (or class) its grade_id
names is parsed, and each small change a student could plausibly make (an operator swapped, a
constant moved, an off-by-one, a statement dropped, ...) is written back as Python, one mutant at
a time. Each mutant is handed in as the answer of its function, in the release notebook with the
reference answers everywhere else, and graded by the same pipeline as a class
(``_support.grade_with_answer``: the sandbox, the grader-side checks, the one scoring rule). A
mutant is *killed* when it earns fewer points than the reference on its function's own graded
cells, or when its notebook is not graded to the end (timeout, memory, error). A mutant that
survives either does what the contract asks (listed in ``EQUIVALENT`` below with the reason) or
is a gap in the hidden tests (a *survivor*, reported in ``tests/MUTATION.md``).

Why our own mutator: mutmut, cosmic-ray and mutatest mutate files on disk and run a test command
(pytest) against each mutant. Our answers live in notebook cells, and a mutant has to be graded
through the autograder (release notebook, sandbox, hidden tests that only the grader sees, points
per cell), which no such tool drives. Mutating a cell's source with the standard library's ``ast``
and grading each mutant in a process pool needs nothing else.

The kinds of mutation (``KINDS``): ``binop`` (+ and -, * and /, // and /, ** -> *), ``compare``
(< and <=, > and >=, == and !=, is and is not), ``boolop`` (and, or), ``constant`` (n -> n + 1 and
0, x -> 0.0 and 2x, an epsilon x -> x / 10, True and False), ``off_by_one`` (slice bounds, integer
indices and the bounds of range/arange/randint, +-1), ``drop_statement`` (each statement but a
function's final return replaced by ``pass``), ``swap_args`` (two neighbouring positional
arguments), ``drop_kwarg``, ``unary`` (a minus or a ``not`` removed; a minus added to a returned
value or a keyword argument) and ``method_swap`` (mean and sum, max and min, amax and amin, add_
and sub_, mul_ and div_, ...).
A mutant whose source is the reference's or another mutant's is left out.

Only code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is mutated: the signature and
docstring around it are given to the student. A mutant's id is
``function:kind:line:col:hash``, the line counted within the answer cell and the hash the first 8
hex digits of the SHA-256 of the mutant's source; it changes when the reference answer changes,
and ``tests/test_mutation.py`` then names the stale entries of ``EQUIVALENT``.

    python tests/mutation.py --report tests/MUTATION.md            # everything (make mutation)
    python tests/mutation.py --functions cross_entropy,SGD --limit 5 --jobs 2
    python tests/mutation.py --list --functions get_batch            # the mutants, not graded
    python tests/mutation.py --report tests/MUTATION.md --grades grades.json   # keep the grades: a
        # second run (after editing EQUIVALENT) grades only the mutants it has not seen
"""

from __future__ import annotations

import argparse
import ast
import copy
import functools
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This checkout's package and helpers, also in the workers a process pool spawns.
for _path in (ROOT / "tests", ROOT / "src", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"

#: Surviving mutants that behave as the notebook's contract asks, by mutant id, with the reason.
#: A mutant is listed here only after reading the notebook's prose: where the contract pins the
#: behaviour the mutant changes, it is a survivor (a gap in the hidden tests), not an equivalent.
EQUIVALENT: dict[str, str] = {
    # SGD: notebook 02 calls rejecting lr < 0 "good practice", not a requirement.
    "SGD:drop_statement:10:8:3d2e9451": "only stops rejecting a negative lr, which the notebook calls good practice, not a requirement",
    "SGD:drop_statement:11:12:88dad35f": "only stops rejecting a negative lr, which the notebook calls good practice, not a requirement",
    # AdamW: task 3.1 asks for no validation of the hyper-parameters. A mutant that only accepts
    # invalid values is equivalent; one that refuses a valid value (lr, eps or a beta of 0) is not.
    "AdamW:drop_statement:11:8:36f879c3": "only stops rejecting a negative lr; task 3.1 asks for no validation",
    "AdamW:drop_statement:12:12:1f37bb80": "only stops rejecting a negative lr; task 3.1 asks for no validation",
    "AdamW:drop_statement:13:8:290a7b2f": "only stops rejecting betas outside [0, 1); task 3.1 asks for no validation",
    "AdamW:drop_statement:14:12:a22c0f9c": "only stops rejecting betas outside [0, 1); task 3.1 asks for no validation",
    "AdamW:boolop:13:16:2d4ce7df": "rejects betas only when both are out of range: accepts more invalid values, refuses no valid one",
    "AdamW:compare:13:16:04827d21": "also accepts beta1 = 1 (invalid); refuses no valid value; task 3.1 asks for no validation",
    "AdamW:compare:13:42:81d65721": "also accepts beta2 = 1 (invalid); refuses no valid value; task 3.1 asks for no validation",
    "AdamW:constant:13:34:9739de90": "also accepts beta1 in [1, 2) (invalid); refuses no valid value",
    "AdamW:constant:13:60:f798f986": "also accepts beta2 in [1, 2) (invalid); refuses no valid value",
    "AdamW:off_by_one:13:23:ebfad92f": "checks beta2 twice and beta1 never: accepts invalid beta1 only; refuses no valid value",
    "AdamW:off_by_one:13:23:4ccabea3": "betas[-1] is betas[1] for a pair: accepts invalid beta1 only; refuses no valid value",
    "AdamW:off_by_one:13:49:cd7ec8c1": "checks beta1 twice and beta2 never: accepts invalid beta2 only; refuses no valid value",
    "AdamW:drop_statement:15:8:92b160aa": "only stops rejecting a negative eps or weight_decay; task 3.1 asks for no validation",
    "AdamW:drop_statement:16:12:b3e87935": "only stops rejecting a negative eps or weight_decay; task 3.1 asks for no validation",
    "AdamW:boolop:15:11:3434c666": "rejects only when eps and weight_decay are both negative: accepts more invalid values, refuses no valid one",
    # max_batch_size: at memory_bytes == total(0) both branches return 0.
    "max_batch_size:compare:9:7:66e4d91f": "at memory_bytes == fixed the early return gives 0, and so does (memory_bytes - fixed) // per_sequence",
    # max_batch_size: int(x / y) and x // y agree until the float division loses integer precision.
    "max_batch_size:binop:12:15:8822021a": "differs only for budgets above 9e15 bytes (9 PB), far outside any accelerator; the prose's budgets are GB-sized",
    # forward_flops, adamw_step_flops: `/` for `//` gives a float of the same integral value.
    "forward_flops:binop:8:85:8ce860f5": "a float of integral value is accepted (corpus correct/float_*): the int annotation is not graded",
    "adamw_step_flops:binop:6:17:7c9c1f7c": "a float of integral value is accepted (corpus correct/float_*): the int annotation is not graded",
    # adamw_step_flops: task 3.4 accepts any one constant c in [8, 20], and P does not depend on
    # the batch size or the number of heads.
    "adamw_step_flops:binop:9:26:3d5ba69f": "c = 10: task 3.4 accepts any constant count between 8 and 20",
    "adamw_step_flops:constant:9:38:0b902144": "c = 15: task 3.4 accepts any constant count between 8 and 20",
    "adamw_step_flops:constant:9:38:2782a362": "c = 12: task 3.4 accepts any constant count between 8 and 20",
    "adamw_step_flops:constant:9:34:4253f874": "c = 15: task 3.4 accepts any constant count between 8 and 20",
    "adamw_step_flops:constant:9:34:1fcb99a4": "c = 9: task 3.4 accepts any constant count between 8 and 20",
    "adamw_step_flops:constant:9:26:bf83f3af": "c = 15: task 3.4 accepts any constant count between 8 and 20",
    "adamw_step_flops:constant:9:26:52e051fb": "c = 11: task 3.4 accepts any constant count between 8 and 20",
    "adamw_step_flops:constant:9:30:c9dbd548": "c = 15: task 3.4 accepts any constant count between 8 and 20",
    "adamw_step_flops:constant:9:30:d93cf54f": "c = 10: task 3.4 accepts any constant count between 8 and 20",
    "adamw_step_flops:constant:6:94:f4c705ef": "the parameter count of adamw_memory does not depend on batch_size",
    "adamw_step_flops:constant:6:94:7455caee": "the parameter count of adamw_memory does not depend on batch_size",
    "adamw_step_flops:swap_args:6:21:f034805e": "the parameter count of adamw_memory depends on neither num_heads nor batch_size",
    # get_lr_cosine_schedule: at it == T_c the cosine branch gives min + 0.5 * (1 + cos(pi)) * (...)
    # = min exactly, since math.cos(math.pi) == -1.0 in IEEE doubles.
    "get_lr_cosine_schedule:compare:16:7:36adccd0": "at it == cosine_cycle_iters both branches return float(min_learning_rate) exactly (math.cos(math.pi) == -1.0)",
    # gradient_clipping: with no gradient the norm is 0.0, and returning the norm is allowed.
    "gradient_clipping:drop_statement:18:4:bd11ffb9": "with no gradient it returns the norm 0.0 instead of None, which task 5.1 allows, and touches nothing",
    "gradient_clipping:drop_statement:19:8:b7973d1e": "with no gradient it returns the norm 0.0 instead of None, which task 5.1 allows, and touches nothing",
    # get_batch: task 6.1 requires n >= m + 1; what happens to shorter datasets is not specified.
    "get_batch:drop_statement:15:4:c7d9dd98": "only stops rejecting datasets shorter than context_length + 1, which task 6.1 rules out",
    "get_batch:drop_statement:16:8:e2838bba": "only stops rejecting datasets shorter than context_length + 1, which task 6.1 rules out",
    "get_batch:constant:15:20:0618b16f": "only stops rejecting datasets shorter than context_length + 1, which task 6.1 rules out",
    # load_checkpoint: map_location is optional, and weights_only=True is torch.load's default
    # since PyTorch 2.6 (pyproject.toml pins 2.13).
    "load_checkpoint:drop_kwarg:6:17:d2fc1b84": "task 7.2 says to pass map_location=\"cpu\" if you like: optional",
    "load_checkpoint:drop_kwarg:6:17:068e3e70": "weights_only=True is torch.load's default since PyTorch 2.6; the pinned 2.13 loads the same way",
    # train_step: zero_grad() sets to None by default; zeroing in place clears the gradients too.
    "train_step:drop_kwarg:9:4:890fca16": "set_to_none=True is zero_grad()'s default since PyTorch 2.0",
    "train_step:constant:9:36:1821eca5": "zeroing .grad in place clears it as task 8.1 asks; every parameter of the model gets a new gradient at each step",
}

# Operator tables: each entry maps what the reference says to what the mutant says instead.
BINOP_SWAPS: dict[type, tuple[type, ...]] = {
    ast.Add: (ast.Sub,), ast.Sub: (ast.Add,), ast.Mult: (ast.Div,), ast.Div: (ast.Mult, ast.FloorDiv),
    ast.FloorDiv: (ast.Div,), ast.Pow: (ast.Mult,), ast.Mod: (ast.FloorDiv,),
}
COMPARE_SWAPS: dict[type, type] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In,
}
BOOLOP_SWAPS: dict[type, type] = {ast.And: ast.Or, ast.Or: ast.And}
METHOD_SWAPS: dict[str, str] = {
    "mean": "sum", "sum": "mean", "max": "min", "min": "max", "amax": "amin", "amin": "amax",
    "argmax": "argmin", "argmin": "argmax", "add_": "sub_", "sub_": "add_", "mul_": "div_",
    "div_": "mul_", "addcdiv_": "addcmul_", "addcmul_": "addcdiv_",
}
#: Calls whose positional arguments are bounds, shifted by one either way.
RANGE_CALLS = frozenset({"range", "arange", "randint"})
SYMBOLS: dict[type, str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Pow: "**",
    ast.Mod: "%", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
    ast.NotEq: "!=", ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in",
    ast.And: "and", ast.Or: "or",
}
#: Statements never dropped: without them there is no answer left to grade.
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
KINDS = ("binop", "compare", "boolop", "constant", "off_by_one", "drop_statement", "swap_args",
         "drop_kwarg", "unary", "method_swap")


@dataclass(frozen=True)
class Answer:
    """The reference answer cell of one function."""

    function: str
    assignment: str
    source: str
    solution_lines: frozenset[int]  # 1-based lines of the cell between the solution markers


@dataclass(frozen=True)
class Mutant:
    function: str
    kind: str  # one of KINDS
    line: int  # 1-based, within the answer cell
    col: int
    description: str  # what changed, e.g. "+ -> -"
    before: str  # the reference's line
    after: str  # the mutated statement's first line ("pass" for a dropped statement)
    source: str  # the whole mutated answer cell

    @property
    def id(self) -> str:
        digest = hashlib.sha256(self.source.encode("utf-8")).hexdigest()[:8]
        return f"{self.function}:{self.kind}:{self.line}:{self.col}:{digest}"


def discover_answers(root: Path = ROOT) -> list[Answer]:
    """Every answer cell whose grade_id is a function or class that the cell defines."""
    from lmtrain.notebook import cell_source, nbgrader_meta  # this checkout's (sys.path is set above)

    answers = []
    for path in sorted((root / "solutions").glob("*/*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            meta = nbgrader_meta(cell)
            if cell.get("cell_type") != "code" or not meta.get("solution"):
                continue
            source = cell_source(cell)
            defined = {node.name for node in ast.parse(source).body
                       if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
            if meta.get("grade_id") in defined:
                answers.append(Answer(meta["grade_id"], path.parent.name, source, _solution_lines(source)))
    return answers


def _solution_lines(source: str) -> frozenset[int]:
    lines, inside = set(), False
    for number, text in enumerate(source.splitlines(), start=1):
        if text.strip() == BEGIN_SOLUTION:
            inside = True
        elif text.strip() == END_SOLUTION:
            inside = False
        elif inside:
            lines.add(number)
    return frozenset(lines)


# --- the mutator -------------------------------------------------------------------------------

# A site proposes a mutation of one node: (kind, description, apply), where apply(node, parents)
# changes the copy of that node inside a copy of the tree, in place or by replacing it in its
# parent, and returns the node that now stands where it stood.
Apply = Callable[[ast.AST, dict], ast.AST]
Site = tuple[str, str, Apply]


def _replace(parents: dict, old: ast.AST, new: ast.AST) -> ast.AST:
    parent = parents[old]
    for field, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, field, new)
            break
        if isinstance(value, list) and any(item is old for item in value):
            value[[i for i, item in enumerate(value) if item is old][0]] = new
            break
    parents[new] = parent
    return new


def _set(field: str, value_of: Callable[[ast.AST], object]) -> Apply:
    def apply(node, parents):
        setattr(node, field, value_of(node))
        return node
    return apply


def _shift(expr: ast.expr, delta: int) -> ast.expr:
    """``expr + delta``, folded into the constant when expr is an integer literal (so ``[-1]``
    becomes ``[-2]`` and ``[0]`` becomes ``[1]``, not ``[0 + 1]``)."""
    value = None
    if isinstance(expr, ast.Constant) and type(expr.value) is int:
        value = expr.value
    elif (isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub) and isinstance(expr.operand, ast.Constant)
          and type(expr.operand.value) is int):
        value = -expr.operand.value
    if value is not None:
        value += delta
        return ast.Constant(value) if value >= 0 else ast.UnaryOp(ast.USub(), ast.Constant(-value))
    return ast.BinOp(copy.deepcopy(expr), ast.Add() if delta > 0 else ast.Sub(), ast.Constant(abs(delta)))


def _shift_field(field: str, delta: int, index: int | None = None) -> Apply:
    def apply(node, parents):
        if index is None:
            setattr(node, field, _shift(getattr(node, field), delta))
        else:
            getattr(node, field)[index] = _shift(getattr(node, field)[index], delta)
        return node
    return apply


def _constant_values(value: object) -> list[object]:
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1] + ([0] if value != 0 else [])
    if isinstance(value, float):
        values = ([0.0] if value != 0 else [1.0]) + [value * 2]
        if 0 < abs(value) < 1e-3:
            values.append(value / 10)  # an epsilon: does the contract pin it?
        return values
    return []  # strings (keys, messages), None, bytes: changing them only breaks the code


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _sites(node: ast.AST, parents: dict) -> Iterator[Site]:
    """Every mutation of ``node`` itself (its children have their own sites)."""
    if isinstance(node, (ast.BinOp, ast.AugAssign)):
        for new in BINOP_SWAPS.get(type(node.op), ()):
            yield "binop", f"{SYMBOLS[type(node.op)]} -> {SYMBOLS[new]}", _set("op", lambda n, new=new: new())
    elif isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            new = COMPARE_SWAPS[type(op)]

            def apply(n, parents, i=i, new=new):
                n.ops[i] = new()
                return n
            yield "compare", f"{SYMBOLS[type(op)]} -> {SYMBOLS[new]}", apply
    elif isinstance(node, ast.BoolOp):
        new = BOOLOP_SWAPS[type(node.op)]
        yield "boolop", f"{SYMBOLS[type(node.op)]} -> {SYMBOLS[new]}", _set("op", lambda n, new=new: new())
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
        word = "-" if isinstance(node.op, ast.USub) else "not "
        yield "unary", f"{word}x -> x", lambda n, parents: _replace(parents, n, n.operand)
    elif isinstance(node, ast.Constant):
        for new in _constant_values(node.value):
            yield "constant", f"{node.value!r} -> {new!r}", _set("value", lambda n, new=new: new)
    elif isinstance(node, ast.Subscript):
        targets = ([(None, node.slice)] if not isinstance(node.slice, ast.Tuple)
                   else list(enumerate(node.slice.elts)))
        for position, index in targets:
            if isinstance(index, ast.Slice):
                for bound in ("lower", "upper"):
                    if getattr(index, bound) is not None:
                        for delta in (1, -1):
                            yield ("off_by_one", f"slice {bound} bound {delta:+d}",
                                   _slice_shift(position, bound, delta))
            elif _is_integer_index(index):
                for delta in (1, -1):
                    yield "off_by_one", f"index {delta:+d}", _index_shift(position, delta)
    elif isinstance(node, ast.Call):
        name = _call_name(node)
        if name in RANGE_CALLS:
            for i, arg in enumerate(node.args):
                if not isinstance(arg, ast.Starred):
                    for delta in (1, -1):
                        yield "off_by_one", f"{name}() argument {i + 1} {delta:+d}", _shift_field("args", delta, i)
        for i in range(len(node.args) - 1):
            first, second = node.args[i], node.args[i + 1]
            if not isinstance(first, ast.Starred) and not isinstance(second, ast.Starred) \
                    and ast.unparse(first) != ast.unparse(second):
                yield "swap_args", f"arguments {i + 1} and {i + 2} of {name}() swapped", _swap(i)
        for i, keyword in enumerate(node.keywords):
            if keyword.arg is not None:
                yield "drop_kwarg", f"{keyword.arg}= removed from {name}()", _drop_keyword(i)
            if keyword.arg is not None and not isinstance(keyword.value, (ast.Constant, ast.UnaryOp)):
                yield "unary", f"{keyword.arg}=x -> {keyword.arg}=-x", _negate_keyword(i)
        if isinstance(node.func, ast.Attribute) and node.func.attr in METHOD_SWAPS:
            new = METHOD_SWAPS[node.func.attr]
            yield "method_swap", f".{node.func.attr}() -> .{new}()", _rename_method(new)
        elif isinstance(node.func, ast.Name) and node.func.id in ("max", "min"):
            new = METHOD_SWAPS[node.func.id]
            yield "method_swap", f"{node.func.id}() -> {new}()", _rename_function(new)
    elif isinstance(node, ast.Return) and node.value is not None and not (
            isinstance(node.value, ast.Constant) or isinstance(node.value, (ast.UnaryOp, ast.Tuple, ast.Dict))):
        yield "unary", "return x -> return -x", _negate_return
    if isinstance(node, ast.stmt) and not isinstance(node, (ast.Pass, *DEFINITIONS)) and not _is_final_return(node, parents):
        yield "drop_statement", "statement replaced by pass", lambda n, parents: _replace(parents, n, ast.Pass())


def _is_integer_index(index: ast.expr) -> bool:
    """An integer literal (``[0]``, ``[-1]``) or arithmetic (``[i + 1]``): an index that can be off
    by one. A bare name (``state[p]``, a parameter) or a string key is left alone."""
    if isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub):
        index = index.operand
    return (isinstance(index, ast.Constant) and type(index.value) is int) or isinstance(index, ast.BinOp)


def _is_final_return(node: ast.stmt, parents: dict) -> bool:
    parent = parents.get(node)
    return (isinstance(node, ast.Return) and isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef))
            and parent.body[-1] is node)


def _slice_shift(position: int | None, bound: str, delta: int) -> Apply:
    def apply(n, parents):
        index = n.slice if position is None else n.slice.elts[position]
        setattr(index, bound, _shift(getattr(index, bound), delta))
        return n
    return apply


def _index_shift(position: int | None, delta: int) -> Apply:
    def apply(n, parents):
        if position is None:
            n.slice = _shift(n.slice, delta)
        else:
            n.slice.elts[position] = _shift(n.slice.elts[position], delta)
        return n
    return apply


def _swap(i: int) -> Apply:
    def apply(n, parents):
        n.args[i], n.args[i + 1] = n.args[i + 1], n.args[i]
        return n
    return apply


def _drop_keyword(i: int) -> Apply:
    def apply(n, parents):
        del n.keywords[i]
        return n
    return apply


def _negate_keyword(i: int) -> Apply:
    def apply(n, parents):
        n.keywords[i].value = ast.UnaryOp(ast.USub(), n.keywords[i].value)
        return n
    return apply


def _rename_method(new: str) -> Apply:
    def apply(n, parents):
        n.func.attr = new
        return n
    return apply


def _rename_function(new: str) -> Apply:
    def apply(n, parents):
        n.func.id = new
        return n
    return apply


def _negate_return(n, parents):
    n.value = ast.UnaryOp(ast.USub(), n.value)
    return n


def _parents(tree: ast.AST) -> dict:
    return {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}


def _in_f_string(node: ast.AST, parents: dict) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.JoinedStr):
            return True
    return False


def _enclosing_statement(node: ast.AST, parents: dict) -> ast.AST:
    while not isinstance(node, ast.stmt) and node in parents:
        node = parents[node]
    return node


def mutate(function: str, source: str, lines: frozenset[int] | None = None) -> list[Mutant]:
    """The distinct mutants of an answer cell, in source order. ``lines`` limits mutation to
    nodes that start on those lines (default: every line). A mutant whose source equals the
    reference's or an earlier mutant's is left out."""
    tree = ast.parse(source)
    original = ast.unparse(tree)
    source_lines = source.splitlines()
    nodes = list(ast.walk(tree))
    parents = _parents(tree)
    seen = {original}
    mutants = []
    for index, node in enumerate(nodes):
        if not hasattr(node, "lineno") or (lines is not None and node.lineno not in lines):
            continue
        if _in_f_string(node, parents) or _is_docstring(node, parents):
            continue
        for kind, description, apply in _sites(node, parents):
            mutated = ast.parse(source)  # a fresh copy, walked in the same order; faster than deepcopy
            mutated_nodes = list(ast.walk(mutated))
            mutated_parents = _parents(mutated)
            standing = apply(mutated_nodes[index], mutated_parents)
            ast.fix_missing_locations(mutated)
            text = ast.unparse(mutated)
            if text in seen:
                continue
            try:
                compile(text, f"<{function} mutant>", "exec")
            except SyntaxError:
                continue
            seen.add(text)
            statement = _enclosing_statement(standing, mutated_parents)
            after = ast.unparse(statement).splitlines()[0]
            mutants.append(Mutant(function, kind, node.lineno, node.col_offset, description,
                                  source_lines[node.lineno - 1].strip(), after, text + "\n"))
    return mutants


def _is_docstring(node: ast.AST, parents: dict) -> bool:
    parent = parents.get(node)
    if isinstance(node, ast.Constant) and isinstance(parent, ast.Expr):
        node, parent = parent, parents.get(parent)
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
            and isinstance(parent, (ast.FunctionDef, ast.ClassDef, ast.Module)) and parent.body[0] is node)


def all_mutants(functions: list[str] | None = None, limit: int | None = None) -> dict[Answer, list[Mutant]]:
    """The mutants of every answer (or of ``functions``), at most ``limit`` per function."""
    answers = [a for a in discover_answers() if functions is None or a.function in functions]
    unknown = set(functions or ()) - {a.function for a in answers}
    if unknown:
        known = ", ".join(a.function for a in discover_answers())
        raise SystemExit(f"no answer cell defines {', '.join(sorted(unknown))}; the answers are: {known}")
    return {a: mutate(a.function, a.source, a.solution_lines)[:limit] for a in answers}


def find(mutant_id: str) -> Mutant | None:
    """The current mutant with this id, or None when the reference answer has changed under it."""
    return next((m for m in _current_mutants(mutant_id.split(":", 1)[0]) if m.id == mutant_id), None)


@functools.lru_cache(maxsize=None)
def _current_mutants(function: str) -> tuple[Mutant, ...]:
    for answer in discover_answers():
        if answer.function == function:
            return tuple(mutate(function, answer.source, answer.solution_lines))
    return ()


# --- grading -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Grade:
    earned: float
    possible: float
    status: str  # the notebook's status: graded, timeout, memory, error, ...
    failed: str  # the function's graded cells that lost points, with their messages


def is_killed(grade: Grade, reference_earned: float) -> bool:
    """Fewer points than the reference on the function's own cells, or not graded to the end."""
    return grade.status != "graded" or grade.earned < reference_earned


def grade(function: str, source: str, timeout: float) -> Grade:
    """Grade ``source`` as the answer of ``function`` (run in a worker process)."""
    from autograder.scoring import STATUSES
    from _support import grade_with_answer, graded_cells_for

    results = grade_with_answer(function, source, timeout=timeout)
    mine = graded_cells_for(function, results)
    # grade_with_answer reports a notebook that was not graded to the end as "<status>: <detail>"
    # on every cell, with no points.
    status = "graded"
    for candidate in STATUSES:
        if candidate not in ("graded", "integrity") and results and all(r.error.startswith(candidate + ":") for r in results):
            status = candidate
    failed = "; ".join(f"{r.grade_id}: {r.error[:200]}" for r in mine if r.score < r.max_score)
    return Grade(sum(r.score for r in mine), sum(r.max_score for r in mine), status, failed)


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    grade: Grade
    killed: bool

    @property
    def verdict(self) -> str:
        if self.killed:
            return "killed"
        return "equivalent" if self.mutant.id in EQUIVALENT else "survivor"


def _reference_id(answer: Answer) -> str:
    return f"{answer.function}:reference:{hashlib.sha256(answer.source.encode('utf-8')).hexdigest()[:8]}"


def _graded(pool, work: dict[str, tuple[str, str]], timeout: float, bar) -> Iterator[tuple[str, Grade]]:
    from concurrent.futures import as_completed

    futures = {pool.submit(grade, function, source, timeout): key for key, (function, source) in work.items()}
    for future in as_completed(futures):
        bar.update()
        yield futures[future], future.result()


def run(mutants: dict[Answer, list[Mutant]], jobs: int, timeout: float, progress: bool = True,
        cache: dict[str, Grade] | None = None) -> tuple[dict[str, Grade], list[Outcome]]:
    """Grade every reference answer and every mutant with ``jobs`` worker processes. ``cache``
    maps ids to grades already known (a mutant's id hashes its source); what is graded is added."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from tqdm import tqdm

    # Spawned workers: each grading forks its own sandbox, which is safest from a clean process.
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        total = len(mutants) + sum(len(ms) for ms in mutants.values())
        with tqdm(total=total, unit="grading", disable=not progress, dynamic_ncols=True) as bar:
            # The references first: a mutant means nothing if its reference loses points.
            cache = {} if cache is None else cache
            references = {a.function: _reference_id(a) for a in mutants}
            todo = {key: (a.function, a.source) for a in mutants if (key := _reference_id(a)) not in cache}
            bar.update(len(mutants) - len(todo))
            cache.update(_graded(pool, todo, timeout, bar))
            references = {function: cache[key] for function, key in references.items()}
            for function, reference in references.items():
                if reference.status != "graded" or reference.earned < reference.possible or reference.possible == 0:
                    raise SystemExit(f"the reference answer of {function} does not earn full marks "
                                     f"({reference.earned:g}/{reference.possible:g}, {reference.status}): {reference.failed}")
            todo = {m.id: (m.function, m.source) for ms in mutants.values() for m in ms if m.id not in cache}
            bar.update(total - len(mutants) - len(todo))
            cache.update(_graded(pool, todo, timeout, bar))
    grades = cache
    outcomes = []
    for ms in mutants.values():
        for m in ms:
            g = grades[m.id]
            outcomes.append(Outcome(m, g, is_killed(g, references[m.function].earned)))
    return references, outcomes


# --- the report --------------------------------------------------------------------------------

def _code(text: str) -> str:
    return "`` " + text.replace("|", "\\|") + " ``" if "`" in text else "`" + text.replace("|", "\\|") + "`"


def report(answers: list[Answer], outcomes: list[Outcome], command: str) -> str:
    by_function = {a.function: [o for o in outcomes if o.mutant.function == a.function] for a in answers}
    lines = [
        "# Mutation testing of the hidden tests",
        "",
        f"Generated by `{command}` (`tests/mutation.py`); do not edit by hand.",
        "",
        "Every reference answer of `solutions/` is mutated (operators, constants, off-by-ones, dropped",
        "statements, swapped or removed arguments, signs, `mean`/`sum`-like method swaps; only the code",
        "between the solution markers) and each mutant is graded through the same pipeline as a class.",
        "A mutant is **killed** when it earns fewer points than the reference on its function's graded",
        "cells or its notebook is not graded to the end; a surviving one is **equivalent** (it does what",
        "the notebook's contract asks; the reason is in `EQUIVALENT` in `tests/mutation.py`) or a",
        "**survivor**: a change of behaviour that no hidden test notices. Kill rate = killed / (mutants -",
        "equivalent).",
        "",
        "| function | notebook | mutants | killed | equivalent | survivors | kill rate |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    totals = [0, 0, 0, 0]
    for answer in answers:
        mine = by_function[answer.function]
        counts = [len(mine)] + [sum(o.verdict == v for o in mine) for v in ("killed", "equivalent", "survivor")]
        totals = [t + c for t, c in zip(totals, counts)]
        lines.append(f"| `{answer.function}` | {answer.assignment} | {counts[0]} | {counts[1]} | {counts[2]} | "
                     f"{counts[3]} | {_rate(counts)} |")
    lines.append(f"| **all** | | **{totals[0]}** | **{totals[1]}** | **{totals[2]}** | **{totals[3]}** | "
                 f"**{_rate(totals)}** |")
    survivors = [o for o in outcomes if o.verdict == "survivor"]
    lines += ["", f"## Survivors ({len(survivors)})", ""]
    if survivors:
        lines += ["Gaps in the hidden tests: each mutant below earns full marks on its function's cells.",
                  "", "| id | mutation | reference line | mutated line |", "|---|---|---|---|"]
        lines += [f"| `{o.mutant.id}` | {o.mutant.kind}: {_code(o.mutant.description)} | {_code(o.mutant.before)} | "
                  f"{_code(o.mutant.after)} |" for o in survivors]
    else:
        lines.append("None: every mutant is killed or listed as equivalent.")
    equivalents = [o for o in outcomes if o.verdict == "equivalent"]
    lines += ["", f"## Equivalent mutants ({len(equivalents)})", ""]
    if equivalents:
        lines += ["| id | mutated line | why it is equivalent |", "|---|---|---|"]
        lines += [f"| `{o.mutant.id}` | {_code(o.mutant.after)} | {EQUIVALENT[o.mutant.id]} |" for o in equivalents]
    else:
        lines.append("None.")
    wrongly_listed = [o for o in outcomes if o.killed and o.mutant.id in EQUIVALENT]
    if wrongly_listed:
        lines += ["", "## Listed as equivalent but killed", "",
                  "These `EQUIVALENT` entries lose points: they are not equivalent; remove them.", ""]
        lines += [f"* `{o.mutant.id}`: {o.grade.failed}" for o in wrongly_listed]
    unstable = [o for o in outcomes if o.grade.status != "graded"]
    if unstable:
        lines += ["", f"## Killed without being graded to the end ({len(unstable)})", "",
                  "A timeout on a busy machine kills a mutant too; rerun these with `--functions` to make sure.", ""]
        lines += [f"* `{o.mutant.id}` ({o.grade.status}): {_code(o.mutant.after)}" for o in unstable]
    return "\n".join(lines) + "\n"


def _rate(counts: list[int]) -> str:
    judged = counts[0] - counts[2]
    return f"{100 * counts[1] / judged:.0f}%" if judged else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--functions", help="comma-separated function names (default: every answer)")
    parser.add_argument("--limit", type=int, help="at most this many mutants per function, in source order")
    parser.add_argument("--jobs", type=int, default=2, help="gradings at once (default 2)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per graded notebook (default 300)")
    parser.add_argument("--report", type=Path, help="write the Markdown report here")
    parser.add_argument("--list", action="store_true", help="print the mutants and stop, grading nothing")
    parser.add_argument("--grades", type=Path, help="a JSON file of grades by id: read what it holds, "
                        "grade only the rest, write them all back (e.g. to rewrite the report after "
                        "editing EQUIVALENT without grading again)")
    args = parser.parse_args(argv)
    # One thread per grading: --jobs processes share the cores (make test found more threads 20x slower).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    functions = args.functions.split(",") if args.functions else None
    mutants = all_mutants(functions, args.limit)
    if args.list:
        for ms in mutants.values():
            for m in ms:
                print(f"{m.id}  {m.description}  |  {m.before}  ->  {m.after}")
        return 0
    started = time.monotonic()
    total = sum(len(ms) for ms in mutants.values())
    print(f"{total} mutants of {len(mutants)} functions, {args.jobs} jobs", file=sys.stderr)
    cache = {}
    if args.grades and args.grades.exists():
        cache = {key: Grade(**value) for key, value in json.loads(args.grades.read_text(encoding="utf-8")).items()}
    try:
        _, outcomes = run(mutants, args.jobs, args.timeout, cache=cache)
    finally:
        if args.grades:
            args.grades.write_text(json.dumps({k: vars(v) for k, v in sorted(cache.items())}, indent=1) + "\n",
                                   encoding="utf-8")
    answers = list(mutants)
    command = "make mutation" if functions is None and args.limit is None else \
        "python tests/mutation.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = report(answers, outcomes, command)
    if args.report:
        args.report.write_text(text, encoding="utf-8")
    survivors = [o for o in outcomes if o.verdict == "survivor"]
    print(f"{total} mutants graded in {(time.monotonic() - started) / 60:.1f} min: "
          f"{sum(o.killed for o in outcomes)} killed, {sum(o.verdict == 'equivalent' for o in outcomes)} equivalent, "
          f"{len(survivors)} survivors", file=sys.stderr)
    for o in survivors:
        print(f"survivor {o.mutant.id}: {o.mutant.before}  ->  {o.mutant.after}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
