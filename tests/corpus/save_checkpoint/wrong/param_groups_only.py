"""Saves optimizer.param_groups' hyper-parameters (lr, betas, ...) instead of optimizer.state_dict(): no moments."""
import os
from typing import BinaryIO

import torch
from torch import nn


def save_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer, iteration: int,
                    out: str | os.PathLike | BinaryIO) -> None:
    groups = [{k: v for k, v in group.items() if k != "params"} for group in optimizer.param_groups]
    torch.save({"model": model.state_dict(), "optimizer": {"param_groups": groups}, "iteration": iteration}, out)
