"""Opens paths itself (os.fspath) and writes to file objects directly, chosen with isinstance."""

import os

import torch


def save_checkpoint(model, optimizer, iteration, out):
    checkpoint = {"iteration": iteration, "optimizer": optimizer.state_dict(), "model": model.state_dict()}
    if isinstance(out, (str, os.PathLike)):
        with open(os.fspath(out), "wb") as handle:
            torch.save(checkpoint, handle)
    else:
        torch.save(checkpoint, out)
