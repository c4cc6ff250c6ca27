"""Loads paths with mmap=True (no full read into memory) and file objects normally; .get() for the iteration."""
import os
from typing import BinaryIO

import torch
from torch import nn


def load_checkpoint(src: str | os.PathLike | BinaryIO, model: nn.Module,
                    optimizer: torch.optim.Optimizer) -> int:
    is_path = isinstance(src, (str, os.PathLike))
    checkpoint = torch.load(src, weights_only=True, mmap=is_path, map_location="cpu")
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    iteration = checkpoint.get("iteration", 0)
    return int(iteration)
