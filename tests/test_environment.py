"""environment.yml (conda) and pyproject.toml (pip) pin the same packages at the same versions."""

from __future__ import annotations

import re
import tomllib

from autograder.course import REPO_ROOT

PIN = re.compile(r"^\s*-\s+([A-Za-z0-9_.\-\[\]]+)==([^\s#]+)")


def _pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    pins = {}
    for requirement in requirements:
        name, _, version = requirement.partition("==")
        assert version, f"pyproject.toml: {requirement!r} is not pinned with =="
        pins[name.strip().lower()] = version.strip()
    return pins


def _environment_pins() -> dict[str, str]:
    pins = {}
    for line in (REPO_ROOT / "environment.yml").read_text().splitlines():
        match = PIN.match(line)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def test_environment_yml_matches_pyproject():
    assert _environment_pins() == _pyproject_pins()


def test_torch_is_the_course_build():
    assert _pyproject_pins()["torch"] == "2.13.0"
