"""The mutation tool (``tests/mutation.py``) and a fixed sample of its mutants, graded.

The mutator is checked on a toy function, one expected mutant per kind. A fixed sample of mutants
that the hidden tests kill today is graded again and must stay killed (a regression check of the
hidden tests, not a measure: ``make mutation`` grades them all). The ``EQUIVALENT`` allow-list must
name mutants that still exist, so that an entry never outlives the reference line it excuses.
"""

from __future__ import annotations

import ast

import pytest

import mutation
from lmtrain.loader import ANSWER_NOTEBOOKS

TOY = '''\
def toy(x, y, items):
    a = x + y
    b = a * 2
    if a < b and x == y:
        a = -a
    total = items.mean(dim=-1, keepdim=True)
    for i in range(len(items)):
        b = items[i + 1:]
    return max(a, b, total)
'''

# (kind, the mutated statement's first line): one mutant that each kind must produce from TOY.
EXPECTED = [
    ("binop", "a = x - y"),
    ("binop", "b = a / 2"),
    ("compare", "if a <= b and x == y:"),
    ("compare", "if a < b and x != y:"),
    ("boolop", "if a < b or x == y:"),
    ("constant", "b = a * 3"),
    ("constant", "b = a * 0"),
    ("constant", "total = items.mean(dim=-1, keepdim=False)"),
    ("off_by_one", "for i in range(len(items) + 1):"),
    ("off_by_one", "for i in range(len(items) - 1):"),
    ("off_by_one", "b = items[i + 1 + 1:]"),
    ("drop_statement", "pass"),
    ("swap_args", "return max(b, a, total)"),
    ("drop_kwarg", "total = items.mean(keepdim=True)"),
    ("drop_kwarg", "total = items.mean(dim=-1)"),
    ("unary", "a = a"),
    ("unary", "total = items.mean(dim=1, keepdim=True)"),
    ("unary", "return -max(a, b, total)"),
    ("method_swap", "total = items.sum(dim=-1, keepdim=True)"),
    ("method_swap", "return min(a, b, total)"),
]

# Mutants the hidden tests kill today: of four functions whose notebooks grade fastest, the two
# killed mutants with the smallest hashes in a full `make mutation` run. Each must stay killed.
SAMPLE = [
    "SGD:drop_kwarg:32:20:09a07b49",  # p.add_(p.grad): no step size
    "SGD:compare:19:11:29f64a02",  # if closure is None: the closure never runs
    "get_lr_cosine_schedule:unary:15:8:002a1974",  # a negative learning rate during warmup
    "get_lr_cosine_schedule:binop:17:19:0d0ed7e8",  # progress by floor division: no decay until the end
    "gradient_clipping:method_swap:26:12:06eb0af0",  # g.div_(scale): gradients grow
    "gradient_clipping:drop_statement:24:8:07245037",  # scale never computed
    "train_step:drop_statement:11:8:603a8120",  # the learning rate is never set
    "train_step:drop_statement:10:4:6702b1fe",  # the learning rate is never set (the loop dropped)
]


@pytest.fixture(scope="module")
def toy_mutants() -> list[mutation.Mutant]:
    return mutation.mutate("toy", TOY)


@pytest.mark.parametrize(("kind", "after"), EXPECTED, ids=[f"{k}:{a}" for k, a in EXPECTED])
def test_each_kind_produces_the_expected_mutant(toy_mutants, kind, after):
    made = [m.after for m in toy_mutants if m.kind == kind]
    assert after in made, f"no {kind} mutant reads {after!r}; the {kind} mutants read: {made}"


def test_every_kind_is_exercised():
    assert {kind for kind, _ in EXPECTED} == set(mutation.KINDS)


def test_mutants_are_distinct_valid_and_keep_the_final_return(toy_mutants):
    sources = [m.source for m in toy_mutants]
    assert len(set(sources)) == len(sources), "two mutants have the same source"
    assert ast.unparse(ast.parse(TOY)) + "\n" not in sources, "a mutant equals the reference"
    for m in toy_mutants:
        ast.parse(m.source)
        assert "return" in m.source, f"{m.id} dropped the final return"
    dropped = {m.before for m in toy_mutants if m.kind == "drop_statement"}
    assert "b = a * 2" in dropped and "return max(a, b, total)" not in dropped


def test_ids_are_stable_and_name_the_site(toy_mutants):
    again = mutation.mutate("toy", TOY)
    assert [m.id for m in again] == [m.id for m in toy_mutants]
    swap = next(m for m in toy_mutants if m.after == "return max(b, a, total)")
    function, kind, line, col, digest = swap.id.split(":")
    assert (function, kind, line, col) == ("toy", "swap_args", "9", "11") and len(digest) == 8


def test_only_the_given_lines_are_mutated():
    assert {m.line for m in mutation.mutate("toy", TOY, frozenset({3}))} == {3}


def test_every_answer_is_discovered_and_mutated_inside_its_solution_markers():
    answers = mutation.discover_answers()
    assert sorted(a.function for a in answers) == sorted(ANSWER_NOTEBOOKS)
    for answer in answers:
        mutants = mutation.mutate(answer.function, answer.source, answer.solution_lines)
        assert mutants, f"no mutant of {answer.function}"
        outside = [m.id for m in mutants if m.line not in answer.solution_lines]
        assert not outside, f"mutated outside the solution markers: {outside}"


def test_equivalent_entries_name_current_mutants():
    stale = [mutant_id for mutant_id in mutation.EQUIVALENT if mutation.find(mutant_id) is None]
    assert not stale, (f"EQUIVALENT names mutants that no longer exist (the reference answer changed): "
                       f"{stale}; run make mutation and judge the new survivors again")
    assert all(reason.strip() for reason in mutation.EQUIVALENT.values()), "every equivalent mutant needs a reason"


def test_sample_is_fixed_and_current():
    assert len(SAMPLE) == 8 and len({i.split(":")[0] for i in SAMPLE}) == 4
    stale = [mutant_id for mutant_id in SAMPLE if mutation.find(mutant_id) is None]
    assert not stale, f"sample mutants that no longer exist: {stale}; pick killed ones from tests/MUTATION.md"


@pytest.mark.parametrize("mutant_id", SAMPLE)
def test_sampled_mutant_stays_killed(mutant_id):
    mutant = mutation.find(mutant_id)
    assert mutant is not None, f"{mutant_id} no longer exists; pick a killed one from tests/MUTATION.md"
    grade = mutation.grade(mutant.function, mutant.source, timeout=300.0)
    assert mutation.is_killed(grade, grade.possible), (
        f"the hidden tests no longer notice {mutant.description} in {mutant.function}: "
        f"{mutant.before!r} -> {mutant.after!r} earns {grade.earned:g}/{grade.possible:g}")


def test_sum_instead_of_mean_in_cross_entropy_is_killed():
    answer = next(a for a in mutation.discover_answers() if a.function == "cross_entropy")
    mutant = next(m for m in mutation.mutate(answer.function, answer.source, answer.solution_lines)
                  if m.kind == "method_swap" and m.after.startswith("return") and ".sum()" in m.after)
    grade = mutation.grade(mutant.function, mutant.source, timeout=300.0)
    assert grade.status == "graded" and grade.earned < grade.possible, (
        f"a cross_entropy that sums instead of averaging earns {grade.earned:g}/{grade.possible:g}")
