"""os.fspath for path-like sources, map_location via a lambda, strict=True spelled out, optimizer restored first."""
import os
from typing import BinaryIO

import torch
from torch import nn


def load_checkpoint(src: str | os.PathLike | BinaryIO, model: nn.Module,
                    optimizer: torch.optim.Optimizer) -> int:
    if isinstance(src, os.PathLike):
        src = os.fspath(src)
    checkpoint = torch.load(src, map_location=lambda storage, location: storage, weights_only=True)
    optimizer.load_state_dict(checkpoint["optimizer"])
    model.load_state_dict(checkpoint["model"], strict=True)
    return int(checkpoint["iteration"])
