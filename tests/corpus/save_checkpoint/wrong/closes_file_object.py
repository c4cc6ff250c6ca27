"""Wraps a given file object in a with-block, closing the caller's file (an io.BytesIO can no longer be read)."""
import os
from typing import BinaryIO

import torch
from torch import nn


def save_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer, iteration: int,
                    out: str | os.PathLike | BinaryIO) -> None:
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}
    if isinstance(out, (str, os.PathLike)):
        out = open(out, "wb")
    with out:
        torch.save(checkpoint, out)
