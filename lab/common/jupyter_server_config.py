"""Settings of every lab this repository starts (`make lab`, `make lab-instructor`).

Loaded because the Makefile puts lab/common on JUPYTER_CONFIG_PATH; see lab/README.md.
"""

from pathlib import Path

c = get_config()  # noqa: F821 (provided by Jupyter when it loads this file)

# No news feed and no update check: nothing in the lab dials out (course machines and CI
# often have no network, and students need no JupyterLab release notes). The announcements
# plugin, which asks "Would you like to get notified about official Jupyter news?", is
# switched off in lab/common/labconfig/page_config.json.
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"

# The Extension Manager lists extensions without offering to install them: every student,
# the CI and the grader run the pinned environment of pyproject.toml, and searching the
# registry from the lab would dial out too.
c.LabApp.extension_manager = "readonly"

# The AdamW calculator, data/compute.html, opens at /static/compute.html. It is the instructors'
# (it prints the closed forms notebook 03 asks students to derive), so no student notebook links
# it and the student repository leaves it out, where this path then answers 404. Jupyter serves
# extra static paths under /static/ in a plain browser tab, where the calculator's script runs
# (JupyterLab's HTML viewer would block it until "Trust HTML").
c.ServerApp.extra_static_paths = [str(Path(__file__).resolve().parents[2] / "data")]

# Opening a notebook and saving it leaves its bytes as they were. The release is written as
# Jupyter saves a notebook (autograder/release.py, canonical_notebook_text), with the kernel's
# metadata except the one per-machine value, the Python patch version in language_info. When
# its kernel starts, JupyterLab writes the kernel's language_info into the notebook and marks
# the notebook modified unless it is already there, deep-equal: so the lab adds this server's
# version (the kernel runs this Python: jupyter_client starts the `python3` kernel with
# sys.executable) to every notebook it opens, and drops it from every notebook it saves.
import sys  # noqa: E402

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager  # noqa: E402

PYTHON_VERSION = sys.version.split()[0]  # what ipykernel reports as language_info.version


def drop_volatile_metadata(model, **kwargs):
    """pre_save_hook: a notebook is saved without language_info.version."""
    if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
        info = model["content"].get("metadata", {}).get("language_info")
        if isinstance(info, dict) and info.get("name") == "python":
            info.pop("version", None)


class SameBytesContentsManager(AsyncLargeFileManager):
    """Jupyter's default contents manager; a notebook it hands the lab carries this Python's
    language_info.version, as its kernel will report it."""

    async def get(self, path, content=True, type=None, format=None, **kwargs):
        model = await super().get(path, content=content, type=type, format=format, **kwargs)
        if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
            info = model["content"].get("metadata", {}).get("language_info")
            if isinstance(info, dict) and info.get("name") == "python" and "version" not in info:
                info["version"] = PYTHON_VERSION
        return model


c.ServerApp.contents_manager_class = SameBytesContentsManager
c.ContentsManager.pre_save_hook = drop_volatile_metadata
