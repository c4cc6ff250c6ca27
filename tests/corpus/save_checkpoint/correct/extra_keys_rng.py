"""Adds extra entries (torch's RNG state tensor, a plain config dict, a format version) next to the three required ones."""
import os
from typing import BinaryIO

import torch
from torch import nn


def save_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer, iteration: int,
                    out: str | os.PathLike | BinaryIO) -> None:
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "iteration": iteration,
        "torch_rng_state": torch.get_rng_state(),
        "config": {"model_class": type(model).__name__, "optimizer_class": type(optimizer).__name__},
        "format_version": 1,
    }
    torch.save(checkpoint, out)
