"""Sandbox uids are leased: two graders on one machine never hand their notebooks the same uid."""

import os
import subprocess
import sys

import pytest

from autograder.sandbox import uids
from autograder.sandbox import Limits
from test_hostile import _Box

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="uid leases live in a root-only folder")


@needs_root
def test_a_leased_uid_is_not_leased_again_until_released():
    # slots no other grader of the suite reaches (they start at 0, 1, ...): whether a released uid is
    # leased again must not depend on a grader beside this test taking it
    first = uids.lease_uid(600)
    second = uids.lease_uid(600)  # a second grader starting at the same slot
    try:
        assert first.uid != second.uid
        assert uids.is_leased(first.uid) and uids.is_leased(second.uid)
    finally:
        first.release()
        second.release()
    assert not uids.is_leased(first.uid)
    first.release()  # releasing twice is harmless


@needs_root
def test_a_dead_graders_lease_is_free_again():
    holder = subprocess.Popen(
        [sys.executable, "-c", "from autograder.sandbox import uids; import sys, time; lease = uids.lease_uid(500); "
                               "print(lease.uid, flush=True); time.sleep(600)"],
        stdout=subprocess.PIPE, text=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    try:
        uid = int(holder.stdout.readline())
        assert uids.is_leased(uid)
    finally:
        holder.kill()  # as by kill -9: the kernel drops the lock with the process
        holder.wait()
    assert not uids.is_leased(uid)


@needs_root
def test_concurrent_sessions_run_as_different_uids(tmp_path):
    limits = Limits(notebook_timeout=120.0, cell_timeout=60.0, memory_gb=1.0, max_processes=32)
    one, two = _Box(tmp_path / "a", limits, slot=700), _Box(tmp_path / "b", limits, slot=700)  # one slot, as above
    try:
        assert one.session.isolated and two.session.isolated
        assert one.session.uid != two.session.uid
        assert uids.is_leased(one.session.uid) and uids.is_leased(two.session.uid)
        held = one.session.uid
    finally:
        one.session.close()
        two.session.close()
    assert not uids.is_leased(held)


@needs_root
def test_a_read_only_run_falls_back_and_a_foreign_folder_is_refused(tmp_path, monkeypatch):
    fallback = tmp_path / "leases"
    monkeypatch.setattr(uids, "LEASE_DIRS", ("/proc/no-such-folder/leases", str(fallback)))
    lease = uids.lease_uid(7)
    try:
        assert (fallback / f"{lease.uid}.lock").is_file() and uids.is_leased(lease.uid)
    finally:
        lease.release()
    planted = tmp_path / "planted"
    planted.mkdir(mode=0o777)
    os.chown(planted, 12345, 12345)  # made by another user, who could then hold or fake leases
    monkeypatch.setattr(uids, "LEASE_DIRS", (str(planted),))
    with pytest.raises(RuntimeError, match="owned by root and writable by root only"):
        uids.lease_uid(0)
