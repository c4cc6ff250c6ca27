"""How a section executes (autograder.sections.execute) and what the runner reads of it."""

from __future__ import annotations

import ast

from autograder.sandbox.runner import _names
from autograder.sections import execute


def test_the_last_bare_expression_is_the_value_and_a_given_tree_is_left_as_it_was():
    source = "x = 2\ny = x * 3\ny + 1"
    tree = ast.parse(source)
    before = ast.dump(tree)
    namespace: dict = {}
    assert execute(source, namespace, "<cell a>", tree) == 7
    assert ast.dump(tree) == before  # the runner reads the same tree for the names it binds
    assert execute(source, namespace, "<cell a>") == 7  # parsed here: the same
    assert namespace["y"] == 6
    assert execute("z = 1", namespace, "<cell b>") is None and namespace["z"] == 1


def test_the_names_a_graded_section_binds_and_defines():
    tree = ast.parse(
        "import numpy as np\n"
        "def helper():\n    global counter\n    counter = 1\n"
        "class Box:\n    pass\n"
        "for i in range(2):\n    def closure():\n        return i\n"
        "(w := 3)\n"
    )
    bound, defined = _names(tree)
    assert bound == {"np", "helper", "counter", "Box", "i", "closure", "w"}
    assert defined == ["helper", "Box"]  # top level only: the closure is rebound by every loop
    assert _names(None) == (set(), [])  # a section that does not parse
