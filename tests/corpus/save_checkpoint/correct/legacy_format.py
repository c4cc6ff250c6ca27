"""Writes the legacy (non-zip) torch.save format, which torch.load(weights_only=True) still reads."""
import os
from typing import BinaryIO

import torch
from torch import nn


def save_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer, iteration: int,
                    out: str | os.PathLike | BinaryIO) -> None:
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration},
               out, _use_new_zipfile_serialization=False)
