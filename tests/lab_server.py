"""Start a lab exactly as a student or instructor does (`make lab`, `make lab-instructor`) for a test.

The lab listens on a free loopback port with a random token, keeps its state (workspaces, user
settings) and its home folder in a temporary folder, and is stopped, with every process it
started, when the ``with`` block ends.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from autograder.course import REPO_ROOT

STAMP = ".venv/.installed-stamp"
START_TIMEOUT = 180  # seconds; a lab starts in about 10 s, more on a busy 2-core machine


@dataclass(frozen=True)
class Lab:
    url: str  # http://127.0.0.1:PORT, without a trailing slash
    token: str
    log: Path  # what make and the server printed

    def page(self, path: str) -> str:
        """URL of a lab page (e.g. "lab/tree/01_x/01_x.ipynb") that logs in with the token."""
        separator = "&" if "?" in path else "?"
        return f"{self.url}/{path}{separator}token={self.token}"

    def request(self, path: str, data: dict | None = None, timeout: float = 30) -> tuple[int, bytes]:
        """GET (or POST data as JSON) a server path with the token; (status, body), errors included."""
        body = None if data is None else json.dumps(data).encode()
        request = urllib.request.Request(f"{self.url}/{path}", data=body,
                                         headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def json(self, path: str, data: dict | None = None, timeout: float = 30):
        status, body = self.request(path, data, timeout)
        assert status == 200, f"{path}: HTTP {status}: {body[:500]!r}"
        return json.loads(body)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_command(target: str, state: Path, port: int, token: str, args: tuple[str, ...],
                 variables: dict[str, str]) -> list[str]:
    # -o: never reinstall the environment from inside a test, even if pyproject.toml is newer.
    # port_retries=0: a port taken since free_port() fails the start (and we retry) instead of
    # the server moving silently to another port.
    lab_args = (f"--no-browser --ServerApp.ip=127.0.0.1 --port={port} --ServerApp.port_retries=0 "
                f"--IdentityProvider.token={token} " + " ".join(args))
    return ["make", "--no-print-directory", "-o", STAMP, target, f"LAB_STATE={state}", f"LAB_ARGS={lab_args}",
            *(f"{name}={value}" for name, value in variables.items())]


def lab_environment(home: Path) -> dict[str, str]:
    """The caller's environment without Jupyter's variables, with a fresh home folder."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("JUPYTER", "JPY_", "MAKE", "MFLAGS")) and name not in ("EDITION", "LAB_ARGS")}
    env["HOME"] = str(home)
    return env


@contextmanager
def running_lab(target: str, workdir: Path, args: tuple[str, ...] = (), repo: Path = REPO_ROOT,
                **variables: str) -> Iterator[Lab]:
    """Run `make TARGET` (lab or lab-instructor) in ``repo`` (this repository, or a student's) with make
    variables and more jupyter flags (args); yield the running Lab."""
    if shutil.which("make") is None:
        raise RuntimeError("make not found: the lab is started by the Makefile (Debian: apt-get install make)")
    home, state = workdir / "home", workdir / "state"
    home.mkdir(parents=True, exist_ok=True)
    for attempt in range(3):
        port, token = free_port(), secrets.token_hex(16)
        log = workdir / f"lab-{attempt}.log"
        with open(log, "wb") as out:
            server = subprocess.Popen(make_command(target, state, port, token, args, variables), cwd=repo,
                                      env=lab_environment(home), stdout=out, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        lab = Lab(f"http://127.0.0.1:{port}", token, log)
        try:
            if _wait_until_up(lab, server):
                yield lab
                return
        finally:
            _stop(server)
        if "already in use" not in lab.log_text():
            break
    raise AssertionError(f"`make {target}` did not start a lab within {START_TIMEOUT} s; it said:\n"
                         f"{lab.log_text()[-4000:]}")


def _wait_until_up(lab: Lab, server: subprocess.Popen) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if lab.request("api/status", timeout=5)[0] == 200:
                return True
        except OSError:
            pass  # not listening yet
        time.sleep(0.5)
    return False


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM to make's process group (make, the shell, jupyter); jupyter shuts its kernels down."""
    # The group outlives make if make has already exited, so signal it whatever make's state.
    try:
        os.killpg(server.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        server.wait(timeout=60)
        deadline = time.monotonic() + 60
        while _group_alive(server.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
    except subprocess.TimeoutExpired:
        pass
    if _group_alive(server.pid):
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
