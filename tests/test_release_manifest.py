"""The release manifest that make check and make handin read: current, and true of both editions."""

from __future__ import annotations

import json

from autograder.course import REPO_ROOT
from autograder.manifest import MANIFEST_PATH, build_manifest, manifest_text
from lmtrain.manifest import EDITIONS, answer_sources, course_total, is_unanswered, load_manifest
from lmtrain.notebook import cells_of

FIX = "run `make release` (it rewrites src/lmtrain/release_manifest.json) and commit it"


def test_committed_manifest_equals_a_fresh_one():
    committed = (REPO_ROOT / MANIFEST_PATH).read_text(encoding="utf-8")
    assert committed == manifest_text(build_manifest(REPO_ROOT)), f"the release manifest is stale: {FIX}"


def test_both_editions_have_the_manifests_cells_and_stubs():
    for manifest in load_manifest():
        for folder in EDITIONS.values():
            notebook = json.loads(manifest.file(REPO_ROOT / folder).read_text(encoding="utf-8"))
            assert tuple(c.grade_id for c in cells_of(notebook) if c.grade_id) == manifest.grade_ids, (folder, manifest.name)
            sources = answer_sources(notebook)
            assert all(is_unanswered(sources[gid], stub) for gid, stub in manifest.stubs.items()), (folder, manifest.name)


def test_points_are_the_graded_cells_metadata():
    total = 0.0
    for manifest in load_manifest():
        notebook = json.loads(manifest.file(REPO_ROOT / "notebooks").read_text(encoding="utf-8"))
        points = sum(c.points for c in cells_of(notebook) if c.role == "graded" or c.manual)
        assert manifest.points == points, manifest.name
        total += points
    assert course_total(load_manifest()) == total
