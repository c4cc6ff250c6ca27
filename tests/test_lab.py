"""`make lab` starts a student lab and `make lab-instructor` an instructor's, as their servers show.

Every test starts the lab through the Makefile, as a student does, so what is checked is what
they get. tests/test_lab_browser.py checks the same labs as a browser shows them.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from _support import all_assignments
from autograder.course import REPO_ROOT
from lab_server import STAMP, lab_environment, running_lab
from lmtrain.notebook import cell_source

# nbgrader's lab plugins that only an instructor needs; the student lab keeps validate-assignment.
INSTRUCTOR_PLUGINS = ["@jupyter/nbgrader:menu", "@jupyter/nbgrader:create-assignment",
                      "@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:assignment-list",
                      "@jupyter/nbgrader:course-list"]
NEWS_PLUGIN = "@jupyterlab/apputils-extension:announcements"
NO_CONFIG_WARNING = "No nbgrader_config.py file found"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """One `make lab` for the tests below that only read from it (a start costs 10-30 s)."""
    with running_lab("lab", tmp_path_factory.mktemp("student_lab")) as lab:
        yield lab


def page_config(lab, page: str = "lab") -> dict:
    """The page configuration the server hands to the browser (disabled plugins and more)."""
    status, body = lab.request(page)
    assert status == 200
    match = re.search(rb'<script id="jupyter-config-data" type="application/json">(.*?)</script>', body, re.S)
    assert match, "the /lab page has no jupyter-config-data block"
    return json.loads(match.group(1))


@pytest.mark.slow
def test_student_lab_serves_every_release_notebook(lab):
    listing = lab.json("api/contents")
    folders = sorted(item["name"] for item in listing["content"] if item["type"] == "directory")
    assert folders == all_assignments(), "the student lab's top folder must be notebooks/"
    for name in folders:
        model = lab.json(f"api/contents/{name}/{name}.ipynb", timeout=30)
        assert model["type"] == "notebook" and model["content"]["cells"], f"{name} did not open as a notebook"


@pytest.mark.slow
def test_student_lab_has_no_instructor_tools_and_no_news(lab):
    # JupyterLab (/lab) and the Notebook interface its toolbar switches to (/tree) alike.
    for page in ("lab", "tree"):
        disabled = page_config(lab, page)["disabledExtensions"]
        for plugin in [*INSTRUCTOR_PLUGINS, NEWS_PLUGIN]:
            assert plugin in disabled, f"/{page}: {plugin} must be off (lab/student/labconfig/page_config.json)"
        assert "@jupyter/nbgrader:validate-assignment" not in disabled, "students keep nbgrader's Validate button"
    # The instructor tools' server parts are not loaded at all: their URLs do not exist.
    for path in ("formgrader", "formgrader/api/assignments", "assignments", "courses"):
        assert lab.request(path)[0] == 404, f"/{path} answers in the student lab"
    assert page_config(lab)["news"] == {"disabled": True}, "the server must not fetch Jupyter news"
    # English whatever the machine's locale, although the Chinese language pack is installed.
    settings = lab.json("lab/api/settings/@jupyterlab/translation-extension:plugin")
    assert settings["schema"]["properties"]["locale"]["default"] == "en"


@pytest.mark.slow
def test_student_lab_validates_without_nbgrader_warnings(lab):
    """Validate on the untouched release reports the stubs: the validate extension runs, quietly."""
    result = lab.json("assignments/validate", {"path": "01_cross_entropy/01_cross_entropy.ipynb"}, timeout=300)
    assert result["success"], f"Validate crashed: {result['value'][-2000:]}"
    failed = json.dumps(result["value"])
    assert "NotImplementedError" in failed and "cross_entropy: replace this line with your answer" in failed, \
        f"Validate should report the unanswered stubs, got {failed[:1000]}"
    assert NO_CONFIG_WARNING not in lab.log_text(), "nbgrader did not find lab/student/nbgrader_config.py"


@pytest.mark.slow
def test_lab_serves_the_instructors_calculator(lab):
    """The calculator (instructors only; no notebook links it) opens at /static/compute.html."""
    status, body = lab.request("static/compute.html")
    assert status == 200, f"/static/compute.html: HTTP {status}"
    assert body == (REPO_ROOT / "data" / "compute.html").read_bytes()


@pytest.mark.slow
def test_instructor_lab_has_formgrader_on_the_course(tmp_path):
    """Formgrader runs on this repository's course: solutions/ as the source, every assignment listed."""
    # A gradebook of its own, so that the test leaves none in the repository.
    db = f"--CourseDirectory.db_url=sqlite:///{tmp_path / 'gradebook.db'}"
    with running_lab("lab-instructor", tmp_path, args=(db,)) as lab:
        disabled = page_config(lab)["disabledExtensions"]
        assert not [p for p in INSTRUCTOR_PLUGINS if p in disabled], "the instructor lab has every nbgrader tool"
        assert NEWS_PLUGIN in disabled
        assignments = lab.json("formgrader/api/assignments", timeout=120)
        assert sorted(a["name"] for a in assignments) == all_assignments()
        assert {a["source_path"] for a in assignments} == {f"solutions/{name}" for name in all_assignments()}
        assert lab.json("api/contents/solutions")["type"] == "directory", "the instructor lab's top folder is the repository"
        assert NO_CONFIG_WARNING not in lab.log_text()


@pytest.mark.slow
def test_chinese_lab_speaks_chinese(tmp_path):
    """EDITION=zh switches the interface language to the installed Chinese language pack."""
    notebooks = tmp_path / "notebooks-zh"  # any folder will do: this test looks at the server only
    notebooks.mkdir()
    with running_lab("lab", tmp_path, EDITION="zh", LAB_ROOT_zh=str(notebooks)) as lab:
        settings = lab.json("lab/api/settings/@jupyterlab/translation-extension:plugin")
        # lab/settings/zh/overrides.json turns the schema's default into zh_CN.
        assert settings["schema"]["properties"]["locale"]["default"] == "zh_CN"
        packs = lab.json("lab/api/translations")["data"]
        assert "zh_CN" in packs, "jupyterlab-language-pack-zh-cn is not installed (pip install -e '.[test]')"
        strings = lab.json("lab/api/translations/zh_CN")["data"]["jupyterlab"]
        assert strings["menu\x04File"] == ["文件"]
        disabled = page_config(lab)["disabledExtensions"]
        assert all(p in disabled for p in [*INSTRUCTOR_PLUGINS, NEWS_PLUGIN]), "the Chinese lab is a student lab too"


@pytest.mark.parametrize("variables,message", [
    (["EDITION=fr"], "unknown EDITION=fr; use EDITION=en (default) or EDITION=zh"),
    (["EDITION=zh", "LAB_ROOT_zh=no-such-folder"], "no-such-folder/ does not exist; run make release"),
])
def test_make_lab_says_what_is_wrong(tmp_path, variables, message):
    result = subprocess.run(["make", "--no-print-directory", "-o", STAMP, "lab", *variables], cwd=REPO_ROOT,
                            env=lab_environment(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and message in result.stderr, result.stderr


@pytest.mark.parametrize("release", ["notebooks", "notebooks-zh"])
def test_no_student_notebook_links_the_calculator(release):
    """data/compute.html prints the closed forms that notebook 03's tasks 3.2-3.5 ask students to
    derive, so it is an instructor's tool (their check of the numbers) and no release notebook
    mentions it; notebook 03 ends with plots of the student's own functions instead."""
    if not (REPO_ROOT / release).is_dir():
        pytest.skip(f"{release}/ is not generated yet (make release writes it)")
    mentions = {}
    for path in sorted((REPO_ROOT / release).glob("*/*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            source = cell_source(cell)
            if re.search(r"compute(?:_gpt2_xl)?\.(?:html|png)|/static/|calculator|计算器", source, re.I):
                mentions.setdefault(path.relative_to(REPO_ROOT).as_posix(), []).append(cell["id"])
    assert not mentions, f"remove the calculator from these cells in solutions/ and run make release: {mentions}"
