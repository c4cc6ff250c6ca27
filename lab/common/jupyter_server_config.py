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

# Notebook 03 links to the AdamW calculator at /static/compute.html: the lab's root is a
# notebooks folder, so a relative link to data/compute.html would point above it and JupyterLab
# answers 404. Jupyter serves extra static paths under /static/ in a plain browser tab, where the
# calculator's script runs (JupyterLab's HTML viewer would block it until "Trust HTML").
c.ServerApp.extra_static_paths = [str(Path(__file__).resolve().parents[2] / "data")]
