"""`make lab` serves the student notebooks: JupyterLab starts on notebooks/ and lists every notebook."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from _support import all_assignments
from autograder.course import REPO_ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_jupyterlab_serves_every_release_notebook(tmp_path):
    port, token = _free_port(), "workbook-test"
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={REPO_ROOT / 'notebooks'}",
         "--allow-root"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={"JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
             "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                url = f"http://127.0.0.1:{port}/api/contents?token={token}"
                listing = json.load(urllib.request.urlopen(url, timeout=5))
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("JupyterLab did not start within 60 s")
                time.sleep(0.5)
        folders = sorted(item["name"] for item in listing["content"] if item["type"] == "directory")
        assert folders == all_assignments()
        for name in folders:
            url = f"http://127.0.0.1:{port}/api/contents/{name}/{name}.ipynb?token={token}"
            model = json.load(urllib.request.urlopen(url, timeout=10))
            assert model["type"] == "notebook" and model["content"]["cells"], f"{name} did not open as a notebook"
        lab = urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=10)
        assert lab.status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
