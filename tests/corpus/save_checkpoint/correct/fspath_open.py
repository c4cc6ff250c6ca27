"""Opens paths itself with open(os.fspath(out), "wb"), so any os.PathLike works; file objects go straight to torch.save."""
import os

import torch


def save_checkpoint(model, optimizer, iteration, out):
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}
    if isinstance(out, (str, bytes, os.PathLike)):
        with open(os.fspath(out), "wb") as handle:
            torch.save(checkpoint, handle)
    else:
        torch.save(checkpoint, out)
