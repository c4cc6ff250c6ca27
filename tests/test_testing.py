"""lmtrain.testing: the machinery graded cells share, on hand-worked cases."""

from __future__ import annotations

import types

import pytest

from lmtrain.testing import substitute


def _calls_helper(namespace: dict):
    """A function whose globals are ``namespace``, calling ``helper`` from there as a notebook's function does."""
    exec("def outer(x):\n    return helper(x)\n", namespace)
    return namespace["outer"]


def test_substitute_rebinds_a_global_while_the_block_runs_and_restores_it():
    namespace = {"helper": lambda x: x + 1}
    original = namespace["helper"]
    outer = _calls_helper(namespace)
    with substitute(namespace, "helper", lambda x: 10 * x) as replacement:
        assert outer(3) == 30
        assert namespace["helper"] is replacement
    assert namespace["helper"] is original and outer(3) == 4


def test_substitute_restores_on_an_exception():
    namespace = {"helper": abs}
    with pytest.raises(ZeroDivisionError):
        with substitute(namespace, "helper", round):
            1 / 0
    assert namespace["helper"] is abs


def test_substitute_unbinds_a_name_that_was_not_bound():
    namespace: dict = {}
    outer = _calls_helper(namespace)
    with substitute(namespace, "helper", str):
        assert outer(5) == "5"
    assert "helper" not in namespace
    with pytest.raises(NameError):
        outer(5)


def test_substitute_on_a_module():
    module = types.ModuleType("example")
    module.value = 1
    with substitute(module, "value", 2), substitute(module, "other", 3):
        assert (module.value, module.other) == (2, 3)
    assert module.value == 1 and not hasattr(module, "other")
