"""Class 2 (issue 17): F.cross_entropy, spelled through a re-import and a literal getattr, called
with the run-time watch switched off for the length of the call: the profiling hook is taken down
and put back, and the Python dispatch key is disabled around it, so the tamper check finds every
object as it was. Only a grader-side scan of the text can see the built-in."""
# expect: points<=0 status=integrity flag=forbidden
import sys

import torch
from torch.nn import functional as _functional

_builtin_loss = getattr(_functional, "cross_entropy")


def cross_entropy(inputs, targets):
    hook = sys.getprofile()
    sys.setprofile(None)
    try:
        with torch._C._DisableTorchDispatch():
            return _builtin_loss(inputs.reshape(-1, inputs.shape[-1]), targets.reshape(-1))
    finally:
        sys.setprofile(hook)
