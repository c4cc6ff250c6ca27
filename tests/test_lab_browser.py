"""The labs as a student and an instructor see them, in a real headless Chromium.

Each test starts a lab through the Makefile (tests/lab_server.py), opens a notebook in Chromium
(tests/chromium.py), waits until the notebook is on the page and its kernel is idle, then reads
the page: menus, side bars, toolbar buttons, pop-ups. Screenshots go to runs/lab-screenshots/
(ignored by git); each test prints where.

Needs Debian's Chromium (``apt-get install -y chromium``; ``fonts-noto-cjk`` for Chinese glyphs
in the screenshots); skipped, saying so, where none is found.
"""

from __future__ import annotations

import difflib
import json
import shutil
import time
from pathlib import Path

import pytest

from _support import all_assignments
from autograder.course import REPO_ROOT
from autograder.release import EDITIONS
from chromium import Browser, Page, chromium_or_skip
from lab_server import Lab, running_lab

SHOTS = REPO_ROOT / "runs" / "lab-screenshots"
PAGE_TIMEOUT = 240  # seconds for a page condition; a cold lab on a busy 2-core machine is slow
ENGLISH_MENUS = ["File", "Edit", "View", "Run", "Kernel", "Tabs", "Settings", "Help"]
NBGRADER_INSTRUCTOR_ITEMS = {"Assignment List", "Course List", "Formgrader", "Create assignment"}
ZH_CATALOG = "jupyterlab_language_pack_zh_CN/locale/zh_CN/LC_MESSAGES/jupyterlab.json"
NOTEBOOKS_ZH = REPO_ROOT / "notebooks-zh"

# What the page shows, read in one go.
PAGE_STATE = """(() => {
  const texts = (selector) => [...document.querySelectorAll(selector)].map((e) => e.textContent.trim());
  const markdown = [...document.querySelectorAll(".jp-RenderedMarkdown")];
  return {
    menus: texts("#jp-menu-panel .lm-MenuBar-itemLabel, .lm-MenuBar-content .lm-MenuBar-itemLabel"),
    tabs: texts(".lm-DockPanel .lm-TabBar-tabLabel").filter((t) => t),
    sideBar: [...document.querySelectorAll(".jp-SideBar .lm-TabBar-tab")].map((e) => e.title),
    toasts: texts(".Toastify__toast"),
    validate: [...document.querySelectorAll(".jp-NotebookPanel-toolbar .validate-button")]
      .filter((b) => b.textContent.trim() === "Validate").length,
    cellWidgets: document.querySelectorAll(".nbgrader-CellWidget").length,
    cellTypeSelects: document.querySelectorAll(".nbgrader-CellType select").length,
    body: document.body.innerText,
    prose: markdown.map((e) => e.innerText).join("\\n"),
    maths: document.querySelectorAll(".jp-RenderedMarkdown mjx-container").length,
  };
})()"""


@pytest.fixture(scope="module")
def chromium() -> str:
    return chromium_or_skip("to test the labs in a browser")


def print_shot(capsys, path: Path) -> None:
    with capsys.disabled():
        print(f"\nscreenshot: {path}")


def open_notebook(browser: Browser, lab: Lab, root: Path, notebook: str) -> Page:
    """Open notebook (a path under the lab's top folder) and wait until every cell is on the page,
    its kernel is idle and the page has been idle a moment (the lab's pop-ups come at start-up)."""
    cells = len(json.loads((root / notebook).read_text(encoding="utf-8"))["cells"])
    page = browser.new_page(lab.page(f"lab/tree/{notebook}"), size=(1400, 900))
    page.wait_for(f"document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell').length === {cells}",
                  PAGE_TIMEOUT, f"all {cells} cells of {notebook} on the page")
    deadline = time.monotonic() + PAGE_TIMEOUT
    while not any(s["path"] == notebook and s["kernel"]["execution_state"] == "idle" for s in lab.json("api/sessions")):
        assert time.monotonic() < deadline, f"the kernel of {notebook} was not idle within {PAGE_TIMEOUT} s"
        time.sleep(0.5)
    page.wait_for("document.querySelectorAll('.jp-RenderedMarkdown mjx-container').length > 0", PAGE_TIMEOUT,
                  f"MathJax rendering the maths of {notebook}")
    return page


def kernel_stdout(home: Path, kernel_id: str, code: str) -> str:
    """Run ``code`` in a lab's running kernel (through its connection file) and return what it printed."""
    from jupyter_client import BlockingKernelClient

    client = BlockingKernelClient()
    client.load_connection_file(str(home / ".local" / "share" / "jupyter" / "runtime" / f"kernel-{kernel_id}.json"))
    client.start_channels()
    printed = []
    try:
        reply = client.execute_interactive(code, timeout=PAGE_TIMEOUT, output_hook=lambda message: printed.append(
            message["content"].get("text", "") if message["msg_type"] == "stream" else ""))
    finally:
        client.stop_channels()
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(printed)


def assert_no_instructor_tools(state: dict) -> None:
    assert "Nbgrader" not in state["menus"], f"the student lab shows nbgrader's menu: {state['menus']}"
    assert not [t for t in state["sideBar"] if "Create Assignment" in t], f"Create Assignment side bar: {state['sideBar']}"
    assert state["cellWidgets"] == 0 and state["cellTypeSelects"] == 0, "cells carry nbgrader's type and points drop-downs"
    for text in ("Error fetching courses", "Formgrader", "Assignment List"):
        assert text not in state["body"], f"the student lab shows {text!r}"
    assert state["toasts"] == [], f"the lab greets students with a pop-up: {state['toasts']}"
    assert state["validate"] == 1, "the notebook toolbar must keep nbgrader's Validate button"


@pytest.mark.slow
def test_student_lab_in_chromium(chromium, tmp_path, capsys):
    """No instructor tools, no news pop-up, Validate kept; notebook 03 does not link the instructors' calculator."""
    notebook = "03_adamw/03_adamw.ipynb"
    with running_lab("lab", tmp_path) as lab, Browser.start(chromium) as browser:
        page = open_notebook(browser, lab, REPO_ROOT / "notebooks", notebook)
        state = page.evaluate(PAGE_STATE)
        assert state["menus"] == ENGLISH_MENUS, state["menus"]
        assert_no_instructor_tools(state)
        SHOTS.mkdir(parents=True, exist_ok=True)
        print_shot(capsys, page.screenshot(SHOTS / "student_lab.png"))

        # The calculator prints the closed forms of tasks 3.2-3.5: instructors only (README).
        page.wait_for("document.querySelectorAll('.jp-RenderedMarkdown').length > 5", PAGE_TIMEOUT,
                      "notebook 03's prose")
        hrefs = page.evaluate("[...document.querySelectorAll('.jp-RenderedMarkdown a')].map((a) => a.href)")
        assert not [h for h in hrefs if "compute.html" in h], f"notebook 03 links the calculator: {hrefs}"


@pytest.mark.slow
def test_student_repository_lab_in_chromium(chromium, tmp_path, capsys):
    """A clone of the student repository, `make lab` there: the start page, then notebook 01 runs its
    provided cells against the clone's own course package, and the graded cell's stub names its task."""
    import subprocess
    import sys

    from autograder.student_repo import write_student_repo

    write_student_repo(tmp_path / "origin")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(tmp_path / "origin"), str(clone)], check=True)
    notebook = "01_cross_entropy/01_cross_entropy.ipynb"
    with running_lab("lab", tmp_path / "lab", repo=clone, PY=sys.executable) as lab, \
            Browser.start(chromium) as browser:
        page = open_notebook(browser, lab, clone / "notebooks", notebook)
        state = page.evaluate(PAGE_STATE)
        assert state["menus"] == ENGLISH_MENUS, state["menus"]
        assert_no_instructor_tools(state)
        session = next(s for s in lab.json("api/sessions") if s["path"] == notebook)
        # The kernel imports the clone's lmtrain (its Makefile exports PYTHONPATH), not this repository's.
        where = kernel_stdout(tmp_path / "lab" / "home", session["kernel"]["id"], "import lmtrain; print(lmtrain.__file__)")
        assert where.strip() == str(clone / "src" / "lmtrain" / "__init__.py"), where
        SHOTS.mkdir(parents=True, exist_ok=True)
        print_shot(capsys, page.screenshot(SHOTS / "student_repository_lab.png"))
    status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True)
    assert status.stdout == "", f"the lab left files git would commit:\n{status.stdout}"


@pytest.mark.slow
def test_instructor_lab_in_chromium(chromium, tmp_path, capsys):
    """The nbgrader menu, the Create Assignment side bar with its drop-downs, and formgrader on the course."""
    notebook = "solutions/03_adamw/03_adamw.ipynb"
    db = f"--CourseDirectory.db_url=sqlite:///{tmp_path / 'gradebook.db'}"  # none in the repository
    with running_lab("lab-instructor", tmp_path, args=(db,)) as lab, Browser.start(chromium) as browser:
        page = open_notebook(browser, lab, REPO_ROOT, notebook)
        state = page.evaluate(PAGE_STATE)
        assert "Nbgrader" in state["menus"], state["menus"]
        assert state["toasts"] == [], f"the lab greets instructors with a pop-up: {state['toasts']}"
        assert state["validate"] == 1

        page.click("[...document.querySelectorAll('.jp-SideBar .lm-TabBar-tab')]"
                   ".find((t) => t.title.includes('Create Assignment'))", "the Create Assignment tab")
        page.wait_for("document.querySelectorAll('.nbgrader-CellType select').length > 0", PAGE_TIMEOUT,
                      "nbgrader's cell type drop-downs")

        nbgrader_menu = ("[...document.querySelectorAll('.lm-MenuBar-item')]"
                         ".find((m) => m.textContent.trim() === 'Nbgrader')")
        page.click(nbgrader_menu, "the Nbgrader menu")
        items = set(page.wait_for("(() => { const items = [...document.querySelectorAll('.lm-Menu .lm-Menu-itemLabel')]"
                                  ".map((e) => e.textContent.trim()); return items.length ? items : null; })()",
                                  PAGE_TIMEOUT, "the Nbgrader menu's items"))
        assert NBGRADER_INSTRUCTOR_ITEMS <= items, f"the Nbgrader menu has {sorted(items)}"
        SHOTS.mkdir(parents=True, exist_ok=True)
        print_shot(capsys, page.screenshot(SHOTS / "instructor_lab.png"))

        page.click("[...document.querySelectorAll('.lm-Menu .lm-Menu-item')]"
                   ".find((m) => m.textContent.trim() === 'Formgrader')", "Formgrader in the Nbgrader menu")
        page.wait_for("(() => { const f = document.querySelector('#formgrader iframe');"
                      " return f && f.contentDocument && f.contentDocument.body.innerText.includes('08_train_lm'); })()",
                      PAGE_TIMEOUT, "formgrader listing the course's assignments")
        print_shot(capsys, page.screenshot(SHOTS / "instructor_formgrader.png"))


def chinese_menus() -> list[str]:
    """The English menus as the installed language pack translates them (the oracle for the page)."""
    import jupyterlab_language_pack_zh_CN

    catalog = json.loads((Path(jupyterlab_language_pack_zh_CN.__file__).parent.parent / ZH_CATALOG).read_text("utf-8"))
    return [catalog["menu\x04" + label][0] for label in ENGLISH_MENUS]


@pytest.mark.slow
@pytest.mark.skipif(not NOTEBOOKS_ZH.is_dir(), reason="notebooks-zh/ is not generated yet (make release writes it)")
def test_chinese_lab_in_chromium(chromium, tmp_path, capsys):
    """`make lab EDITION=zh`: menus from the Chinese language pack, Chinese prose, maths by MathJax, a student lab."""
    notebook = "01_cross_entropy/01_cross_entropy.ipynb"
    with running_lab("lab", tmp_path, EDITION="zh") as lab, Browser.start(chromium, "--lang=zh-CN") as browser:
        page = open_notebook(browser, lab, NOTEBOOKS_ZH, notebook)
        state = page.evaluate(PAGE_STATE)
        assert state["menus"] == chinese_menus(), state["menus"]
        assert_no_instructor_tools(state)
        cjk = sum("\u4e00" <= ch <= "\u9fff" for ch in state["prose"])
        assert cjk >= 200, f"notebook 01's prose shows {cjk} Chinese characters; is notebooks-zh/ the Chinese edition?"
        assert state["maths"] > 0
        SHOTS.mkdir(parents=True, exist_ok=True)
        print_shot(capsys, page.screenshot(SHOTS / "chinese_lab_01.png"))


# ---------------------------------------------------------------------------
# Opening a notebook changes nothing
# ---------------------------------------------------------------------------

KERNEL_IDLE = ("document.querySelector('.jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator')"
               "?.dataset.status === 'idle'")
DIRTY_TABS = "[...document.querySelectorAll('.lm-DockPanel .lm-TabBar-tab.jp-mod-dirty')].map((t) => t.textContent.trim())"


def press_save(page: Page) -> None:
    """Ctrl+S, as a student saves."""
    for kind in ("keyDown", "keyUp"):
        page.send("Input.dispatchKeyEvent", {"type": kind, "key": "s", "code": "KeyS", "windowsVirtualKeyCode": 83,
                                             "modifiers": 2})


@pytest.mark.slow
@pytest.mark.parametrize("edition, notebook", [("en", "01_cross_entropy/01_cross_entropy.ipynb"),
                                               ("zh", "03_adamw/03_adamw.ipynb")])
def test_opening_and_saving_a_release_notebook_keeps_its_bytes(chromium, tmp_path, capsys, edition, notebook):
    """A release notebook opened in the student lab is not "modified" once its kernel is up, and
    Ctrl+S writes back the release's bytes: the release is written as Jupyter saves it, and the lab
    adds and drops the one per-machine value (lab/common/jupyter_server_config.py)."""
    release = REPO_ROOT / EDITIONS[edition] / notebook
    root = tmp_path / "root"  # a copy: the test saves into it
    (root / notebook).parent.mkdir(parents=True)
    shutil.copy2(release, root / notebook)
    flags = ("--lang=zh-CN",) if edition == "zh" else ()
    with running_lab("lab", tmp_path, EDITION=edition, **{f"LAB_ROOT_{edition}": str(root)}) as lab, \
            Browser.start(chromium, *flags) as browser:
        page = open_notebook(browser, lab, root, notebook)
        page.wait_for(KERNEL_IDLE, PAGE_TIMEOUT, "the notebook's kernel status saying idle")
        assert page.evaluate(DIRTY_TABS) == [], \
            "opening the notebook marked it modified: its metadata differs from what the kernel reports"
        before = (root / notebook).stat().st_mtime_ns
        press_save(page)
        deadline = time.monotonic() + PAGE_TIMEOUT
        while (root / notebook).stat().st_mtime_ns == before:
            assert time.monotonic() < deadline, f"Ctrl+S did not save {notebook} within {PAGE_TIMEOUT} s"
            time.sleep(0.25)
        page.wait_for(f"{DIRTY_TABS}.length === 0", PAGE_TIMEOUT, "the saved notebook's tab not modified")
        SHOTS.mkdir(parents=True, exist_ok=True)
        print_shot(capsys, page.screenshot(SHOTS / f"saved_unchanged_{edition}.png"))
    saved, expected = (root / notebook).read_text(encoding="utf-8"), release.read_text(encoding="utf-8")
    diff = "".join(list(difflib.unified_diff(expected.splitlines(True), saved.splitlines(True),
                                             f"{EDITIONS[edition]}/{notebook}", "as the lab saved it"))[:40])
    assert saved == expected, f"saving an unedited release notebook changed it:\n{diff}"


# ---------------------------------------------------------------------------
# The start page
# ---------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("edition", ["en", "zh"])
def test_student_lab_opens_the_start_page(chromium, tmp_path, capsys, edition):
    """`make lab` opens START.md, rendered: the notebooks in order, how to check and hand in."""
    flags = ("--lang=zh-CN",) if edition == "zh" else ()
    title = "Start here" if edition == "en" else "从这里开始"
    with running_lab("lab", tmp_path, EDITION=edition) as lab, Browser.start(chromium, *flags) as browser:
        page = browser.new_page(lab.page(""), size=(1280, 900))  # the lab's front door, as the browser opens it
        heading = page.wait_for("(() => { const h = document.querySelector('.jp-RenderedMarkdown h1');"
                                " return h && h.textContent.trim(); })()", PAGE_TIMEOUT, "START.md rendered")
        assert heading.startswith(title), heading
        assert page.evaluate("location.pathname") == "/lab/tree/START.md"
        links = page.evaluate("[...document.querySelectorAll('.jp-RenderedMarkdown a')].map((a) => a.textContent.trim())")
        assert [link for link in links if link[:2].isdigit()] == [name for name in all_assignments()], links
        page.wait_for("document.querySelectorAll('.Toastify__toast').length === 0", PAGE_TIMEOUT, "no pop-up")
        SHOTS.mkdir(parents=True, exist_ok=True)
        print_shot(capsys, page.screenshot(SHOTS / f"start_page_{edition}.png"))
