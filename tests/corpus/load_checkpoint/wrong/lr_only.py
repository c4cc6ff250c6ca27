"""Restores the learning rate of each param group but not the moments and step counts."""
import os
from typing import BinaryIO

import torch
from torch import nn


def load_checkpoint(src: str | os.PathLike | BinaryIO, model: nn.Module,
                    optimizer: torch.optim.Optimizer) -> int:
    checkpoint = torch.load(src, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    for group, saved in zip(optimizer.param_groups, checkpoint["optimizer"]["param_groups"]):
        group["lr"] = saved["lr"]
    return int(checkpoint["iteration"])
