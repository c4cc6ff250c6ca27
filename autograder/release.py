"""Generate the student release (``notebooks/``) from the sources (``solutions/``).

nbgrader's ``generate_assignment`` does the real work (solutions to stubs,
hidden tests removed, cells locked, checksums); this module runs it in a
scratch course so the repository's own folders are replaced only when the
whole release succeeded, and writes every notebook in one canonical JSON
form so an unchanged source gives a byte-identical release.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory

from .course import RELEASE_DIR, REPO_ROOT, SOURCE_DIR, assignments, course_config

__all__ = ["ReleaseError", "generate_release", "canonical_notebook_text", "write_release"]


class ReleaseError(RuntimeError):
    """nbgrader could not generate an assignment; the message carries its log."""


def canonical_notebook_text(notebook: dict) -> str:
    """One JSON form for committed notebooks: no outputs, counts or volatile metadata."""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        for key in ("execution", "collapsed", "scrolled"):
            cell.get("metadata", {}).pop(key, None)
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
    notebook["metadata"] = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def generate_release(root: Path = REPO_ROOT, names: list[str] | None = None) -> Path:
    """Run nbgrader on a copy of ``root/solutions``; return the scratch release folder.

    The caller owns the returned folder's parent (a temporary directory).
    """
    names = names or assignments(root)
    scratch = Path(tempfile.mkdtemp(prefix="lmtrain-release-"))
    shutil.copytree(root / SOURCE_DIR, scratch / SOURCE_DIR)
    config = course_config(scratch, db_url=f"sqlite:///{scratch / 'gradebook.db'}")
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    for name in names:
        result = api.generate_assignment(name, force=True, create=True)
        if not result["success"]:
            raise ReleaseError(f"nbgrader could not release {name}:\n{result.get('error') or result.get('log')}")
    release = scratch / RELEASE_DIR
    for path in release.rglob("*.ipynb"):
        path.write_text(canonical_notebook_text(json.loads(path.read_text(encoding="utf-8"))), encoding="utf-8")
    return release


def write_release(root: Path = REPO_ROOT) -> list[str]:
    """Regenerate ``root/notebooks`` in place; returns the assignments written."""
    names = assignments(root)
    release = generate_release(root, names)
    try:
        target = root / RELEASE_DIR
        for name in names:
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(release / name, target / name)
    finally:
        shutil.rmtree(release.parent, ignore_errors=True)
    return names
