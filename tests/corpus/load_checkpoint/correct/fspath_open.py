"""Opens paths itself with open(os.fspath(src), "rb"), so any os.PathLike works; file objects go straight to torch.load."""
import os

import torch


def save_checkpoint(model, optimizer, iteration, out):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}, out)


def load_checkpoint(src, model, optimizer):
    if isinstance(src, (str, bytes, os.PathLike)):
        with open(os.fspath(src), "rb") as handle:
            checkpoint = torch.load(handle, map_location="cpu", weights_only=True)
    else:
        checkpoint = torch.load(src, map_location="cpu", weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return int(checkpoint["iteration"])
