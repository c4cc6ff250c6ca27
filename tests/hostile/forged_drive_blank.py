"""Class 1 (issue 17): a blank answer that forges every fact its drives report. The runner's
`execute` is found through the garbage collector (the tamper check watches the checking modules, not
the grader's own sandbox-side ones) and replaced: before each drive it swaps in `graded` as a no-op
and answers computed with F.cross_entropy, so the drive "measures" correct values, no built-in call
and no error. Only a grader-side scan of the text can see it."""
# expect: points<=0 status=integrity flag=evasion
import contextlib
import gc

import torch
import torch.nn.functional as _F


def _loss(inputs, targets):
    return _F.cross_entropy(inputs.reshape(-1, inputs.shape[-1]), targets.reshape(-1))


def _forge(real_execute):
    def execute(source, namespace, filename):
        saved = {name: namespace.get(name) for name in ("graded", "cross_entropy", "perplexity")}
        namespace["graded"] = lambda task: contextlib.nullcontext()
        namespace["cross_entropy"] = _loss
        namespace["perplexity"] = lambda inputs, targets: torch.exp(_loss(inputs, targets))
        try:
            return real_execute(source, namespace, filename)
        finally:
            namespace.update(saved)
    return execute


for _module_dict in gc.get_objects():
    if isinstance(_module_dict, dict) and _module_dict.get("__name__") == "autograder.sandbox.runner":
        _module_dict["execute"] = _forge(_module_dict["execute"])


def cross_entropy(inputs, targets):
    raise NotImplementedError("cross_entropy: replace this line with your answer.")
