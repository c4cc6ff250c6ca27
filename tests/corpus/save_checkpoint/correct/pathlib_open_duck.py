"""Duck-typed: anything with .write is a file object; anything else is opened with pathlib.Path(out).open("wb")."""
import copy
import os
from pathlib import Path
from typing import BinaryIO

import torch
from torch import nn


def save_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer, iteration: int,
                    out: str | os.PathLike | BinaryIO) -> None:
    state = {
        "model": copy.deepcopy(model.state_dict()),
        "optimizer": copy.deepcopy(optimizer.state_dict()),
        "iteration": int(iteration),
    }
    if callable(getattr(out, "write", None)):
        torch.save(state, out)
    else:
        with Path(out).open("wb") as handle:
            torch.save(state, handle)
