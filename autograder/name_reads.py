"""What a piece of Python code reads from the namespace it runs in, and what it binds there, read from its text.

Two parts of the grader decide from the code alone, before anything runs, whether some code can see
what other code bound: the demo cells a submission's run can leave out (:mod:`autograder.demo_cells`)
and the graded cells' statements the checker template computes once per class
(:mod:`autograder.class_cache`). Both read code with :class:`Reads`.
"""

from __future__ import annotations

import ast

__all__ = ["DYNAMIC_NAMES", "Reads", "stored_names"]

#: Names through which code can read a variable it does not name.
DYNAMIC_NAMES = frozenset({"globals", "locals", "vars", "eval", "exec", "compile", "__import__", "get_ipython",
                           "__main__", "__builtins__", "__dict__"})

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def stored_names(node: ast.AST) -> set[str]:
    """Names a target (of an assignment, a for loop, a with) binds."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}


class Reads:
    """What a block of code reads from the namespace it runs in, statement by statement.

    ``exposed``: names read before the block has surely bound them (a binding inside a branch or a
    loop body may not happen, so it counts only there). ``deferred``: names the functions and lambdas
    it defines read when called, their own parameters and locals aside. ``bound``: names it binds.
    ``dynamic``: it reads names it does not spell (``globals()``, ``eval``, ``"__main__"``).
    """

    def __init__(self):
        self.exposed: set[str] = set()
        self.deferred: set[str] = set()
        self.bound: set[str] = set()
        self.dynamic = False

    def block(self, statements: list, bound: set[str]) -> None:
        for statement in statements:
            self.statement(statement, bound)

    def statement(self, node: ast.stmt, bound: set[str]) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for part in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
                self.expression(part, bound)
            self.function(node)
            self._bind({node.name}, bound)
        elif isinstance(node, ast.ClassDef):
            for part in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
                self.expression(part, bound)
            self.block(node.body, set(bound))  # the class body runs now, in a scope of its own
            self._bind({node.name}, bound)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self.expression(node.iter, bound)
            inner = set(bound) | stored_names(node.target)
            self._bind(stored_names(node.target), set())
            self.block(node.body, inner)
            self.block(node.orelse, set(bound))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self.expression(item.context_expr, bound)
                if item.optional_vars is not None:
                    self._bind(stored_names(item.optional_vars), bound)
            self.block(node.body, bound)
        elif isinstance(node, (ast.If, ast.While)):
            self.expression(node.test, bound)
            self.block(node.body, set(bound))
            self.block(node.orelse, set(bound))
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            self.block(node.body, set(bound))
            for handler in node.handlers:
                if handler.type is not None:
                    self.expression(handler.type, bound)
                inner = set(bound) | ({handler.name} if handler.name else set())
                self.block(handler.body, inner)
            self.block(node.orelse, set(bound))
            self.block(node.finalbody, set(bound))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            self._bind({(alias.asname or alias.name).split(".")[0] for alias in node.names}, bound)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            self.bound.update(node.names)
        else:  # a simple statement: what it reads is read before what it binds is bound (x = f(x))
            self.expression(node, bound)
            if isinstance(node, ast.AugAssign):  # x += 1 reads x
                self.exposed |= stored_names(node.target) - bound
            self._bind(stored_names(node), bound)

    def expression(self, node: ast.AST, bound: set[str]) -> None:
        stack = [node]
        while stack:
            node = stack.pop()
            if isinstance(node, _FUNCTIONS):
                for part in [*node.args.defaults, *node.args.kw_defaults]:
                    stack.append(part)
                self.function(node)
                continue
            if isinstance(node, _COMPREHENSIONS):  # its loop variables are its own
                own = set().union(*(stored_names(g.target) for g in node.generators))
                reads = Reads()
                for part in ast.iter_child_nodes(node):
                    reads.expression(part, bound | own)
                self._take(reads)
                continue
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                if node.id in DYNAMIC_NAMES:
                    self.dynamic = True
                if node.id not in bound:
                    self.exposed.add(node.id)
            elif isinstance(node, ast.Constant) and node.value == "__main__":
                self.dynamic = True
            stack.extend(ast.iter_child_nodes(node))

    def function(self, node) -> None:
        """A function's reads happen when it is called: its parameters and the names it assigns are
        its own (unless declared global), every other name it reads is the namespace's."""
        args = node.args
        params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
        params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        body = node.body if isinstance(node.body, list) else [node.body]
        declared = {name for n in ast.walk(node) if isinstance(n, (ast.Global, ast.Nonlocal)) for name in n.names}
        local = (params | {name for part in body for name in stored_names(part)}
                 | {n.name for part in body for n in ast.walk(part)
                    if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}) - declared
        for part in body:
            for n in ast.walk(part):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                    self.dynamic = self.dynamic or n.id in DYNAMIC_NAMES
                    if n.id not in local:
                        self.deferred.add(n.id)
                elif isinstance(n, ast.Constant) and n.value == "__main__":
                    self.dynamic = True

    def _bind(self, names: set[str], bound: set[str]) -> None:
        self.bound |= names
        bound |= names

    def _take(self, other: "Reads") -> None:
        self.exposed |= other.exposed
        self.deferred |= other.deferred
        self.dynamic = self.dynamic or other.dynamic
