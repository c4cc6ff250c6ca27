"""Everything that runs beside a submission, behind one folder boundary.

The grader's trusted side (planning, the checker worker, scoring, outputs)
talks to a sandbox only through the channel's client exported here:
:class:`Session` starts a sandbox and exchanges plain-data requests with it,
:class:`Limits` and :class:`SandboxSpec` say what it may use and where it runs,
:class:`SandboxEnded` says why it stopped. The checker worker, trusted code in a
bounded process of its own, is started from the same fork server and cgroups.

Inside the folder: :mod:`.session` (the fork server, the keeper that isolates
a notebook, the framed channel), :mod:`.runner` (the loop that runs cells in
the sandbox), :mod:`.tamper` (what the runner restores and verifies after
every cell), :mod:`.seccomp` (the system-call filter), :mod:`.cgroup` (memory
limits), :mod:`.uids` (one uid per running notebook). The modules shared by
both sides sit one level up: :mod:`autograder.protocol` (what may cross the
boundary) and :mod:`autograder.sections` (how a section executes).
"""

from . import cgroup
from .session import Limits, SandboxEnded, SandboxSpec, Session, fork_context, read_frame, start_fork_server, write_frame

__all__ = ["Limits", "SandboxEnded", "SandboxSpec", "Session", "cgroup", "fork_context", "read_frame",
           "start_fork_server", "write_frame"]
