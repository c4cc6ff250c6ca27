"""Appends ".pt" to a path that lacks it: the checkpoint lands next to the path it was given, not at it."""
import os

import torch


def save_checkpoint(model, optimizer, iteration, out):
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}
    if isinstance(out, (str, os.PathLike)) and not os.fspath(out).endswith(".pt"):
        out = os.fspath(out) + ".pt"
    torch.save(checkpoint, out)

