"""Writes a path atomically (temporary file, then os.replace); file objects are written directly."""

import os
import tempfile

import torch


def save_checkpoint(model, optimizer, iteration, out):
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}
    if not isinstance(out, (str, os.PathLike)):
        torch.save(checkpoint, out)
        return
    target = os.path.abspath(os.fspath(out))
    # A crash mid-write leaves the previous checkpoint intact instead of a truncated file.
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            torch.save(checkpoint, stream)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise
