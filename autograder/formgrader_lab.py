"""Formgrader's buttons that would bypass this course's own commands answer with those commands instead.

A Jupyter server extension of the instructor lab (``make lab-instructor``, enabled in
``lab/instructor/jupyter_server_config.json``). Its handlers take the URLs of formgrader's buttons
before formgrader does: Jupyter loads server extensions in alphabetical order, and the first handler
registered for a URL answers it.

* Generate (Manage Assignments) would write ``notebooks/`` with stock nbgrader: not the form the
  release check compares against, no Chinese edition, no release manifest, and over a student's
  answers. It runs ``make release`` instead, which writes all of that and refuses to overwrite work.
* Autograde (Manage Submissions) would run a student's notebook with nbgrader, outside the sandbox,
  and replace the grader's scores; Generate Feedback and Release Feedback would write nbgrader's own
  feedback. They say what to run: ``make grade`` grades and writes the feedback.
"""

from __future__ import annotations

import asyncio
import json

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

from .course import REPO_ROOT, assignments

__all__ = ["RELEASE_URL", "REFUSED_URLS"]

RELEASE_URL = r"/formgrader/api/assignment/([^/]+)/assign"

_GRADE = ("Grading runs outside the lab, in the grader's sandbox: `make grade SUBMISSIONS=dir OUT=dir` grades the "
          "class into this gradebook (formgrader then lists every submission, and you grade the written answers here "
          "by hand) and writes each student's feedback to OUT/feedback/<student>/index.html. Run it again after "
          "grading by hand: the points you gave reach grades.csv and the feedback, and no notebook runs again.")

#: formgrader's URLs that this extension answers with a message, and what each button would have done.
REFUSED_URLS = {
    r"/formgrader/api/submission/([^/]+)/([^/]+)/autograde": "Autograde would run this notebook outside the sandbox.",
    r"/formgrader/api/assignment/([^/]+)/generate_feedback": "Generate Feedback would write nbgrader's feedback.",
    r"/formgrader/api/assignment/([^/]+)/release_feedback": "Release Feedback would hand out nbgrader's feedback.",
    r"/formgrader/api/assignment/([^/]+)/([^/]+)/generate_feedback": "Generate Feedback would write nbgrader's feedback.",
    r"/formgrader/api/assignment/([^/]+)/([^/]+)/release_feedback": "Release Feedback would hand out nbgrader's feedback.",
}


def _release() -> dict:
    """``make release``, as formgrader's JavaScript reads the result of a button."""
    from .release import BACKUP_DIR, ReleaseError, ReleaseRefused, write_release

    try:
        names = write_release(REPO_ROOT)
    except ReleaseRefused as exc:
        return {"success": False, "error": f"{exc}\n\nKeep that work first, then run `make release FORCE=1` in a "
                                           f"terminal: it copies each notebook to {BACKUP_DIR}/ before writing."}
    except ReleaseError as exc:
        return {"success": False, "error": f"{exc}\n\nFix the source notebook under solutions/ and press Generate "
                                           "again (or run `make release`)."}
    return {"success": True, "log": f"make release: released {len(names)} notebooks into notebooks/ and "
                                    f"notebooks-zh/: {', '.join(names)}"}


class ReleaseHandler(JupyterHandler):
    """Generate: ``make release`` (every notebook, both editions), whichever assignment's button it was."""

    @web.authenticated
    async def post(self, assignment: str) -> None:
        if assignment not in assignments(REPO_ROOT):
            self.finish(json.dumps({"success": False, "error": f"{assignment} is not a notebook of solutions/."}))
            return
        result = await asyncio.get_running_loop().run_in_executor(None, _release)
        self.finish(json.dumps(result))


class RefusedHandler(JupyterHandler):
    """A button this course does otherwise: the answer says what it would have done and what to run."""

    def initialize(self, what: str) -> None:
        self.what = what

    @web.authenticated
    def post(self, *args: str) -> None:
        self.finish(json.dumps({"success": False, "error": f"{self.what} Nothing was done.\n\n{_GRADE}"}))


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "autograder.formgrader_lab"}]


def _load_jupyter_server_extension(serverapp) -> None:
    base = serverapp.web_app.settings["base_url"]
    handlers = [(url_path_join(base, RELEASE_URL), ReleaseHandler)]
    handlers += [(url_path_join(base, url), RefusedHandler, {"what": what}) for url, what in REFUSED_URLS.items()]
    serverapp.web_app.add_handlers(".*$", handlers)
