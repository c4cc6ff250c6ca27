"""Class 2: a tracing hook in every thread that rewrites the locals of the drive frames (the
notebook namespace) on every line, so whatever a drive computes becomes a "perfect" value."""
# expect: points<=0 status=graded|integrity
import sys
import threading

import torch


def _rewrite(frame, event, arg):
    if frame.f_code.co_filename.startswith("<cell "):
        for name in ("got", "loss", "one_token", "transposed", "sliced", "mixed_loss"):
            if name in frame.f_globals:
                frame.f_globals[name] = torch.tensor(1.3862943611198906, requires_grad=True)
    return _rewrite


sys.settrace(_rewrite)
threading.settrace(_rewrite)
sys.setprofile(_rewrite)


def cross_entropy(inputs, targets):
    return (inputs * 0).sum()
