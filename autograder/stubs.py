"""nbgrader's ClearSolutions, with stubs that name their task.

A student who runs a later cell before finishing an answer sees
``NotImplementedError: cross_entropy: replace this line with your answer.``
instead of a message that could come from any cell.
"""

from __future__ import annotations

from nbgrader.preprocessors import ClearSolutions

from lmtrain.notebook import nbgrader_meta

TASK_PLACEHOLDER = "{task}"


class ClearSolutionsNamingTasks(ClearSolutions):
    """Fill ``{task}`` in the code stub with the answer cell's grade id (its function's name)."""

    def _replace_solution_region(self, cell, language):
        template = self.code_stub
        task = nbgrader_meta(cell).get("grade_id") or "this cell"
        self.code_stub = {lang: stub.replace(TASK_PLACEHOLDER, task) for lang, stub in template.items()}
        try:
            return super()._replace_solution_region(cell, language)
        finally:
            self.code_stub = template
