"""Classes 12-16: try every way out: write host files, read the solutions and the grader's
environment, open inherited descriptors, keep a process alive after grading."""
# expect: points<=0 status=graded|integrity
import gc
import os
import subprocess

_channel = {o.fileno() for o in gc.get_objects() if type(o).__name__ == "Connection"}
for _path in ["/tmp/lmtrain-hostile-escape", "/srv/lmtrain-hostile-escape", "../../../lmtrain-hostile-escape"]:
    try:
        open(_path, "w").write("escaped")
    except OSError:
        pass
for _fd in set(range(3, 256)) - _channel:
    try:
        os.write(_fd, b"hostile")  # an inherited file of the grader would be written here
    except OSError:
        pass
if os.fork() == 0:
    os.setsid()
    subprocess.Popen(["sleep", "600"], start_new_session=True)
    os._exit(0)


def cross_entropy(inputs, targets):
    raise NotImplementedError
