"""Copy-paste slip: the "optimizer" entry holds model.state_dict() again, so the moments are never saved."""
import os
from typing import BinaryIO

import torch
from torch import nn


def save_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer, iteration: int,
                    out: str | os.PathLike | BinaryIO) -> None:
    torch.save({"model": model.state_dict(), "optimizer": model.state_dict(), "iteration": iteration}, out)
