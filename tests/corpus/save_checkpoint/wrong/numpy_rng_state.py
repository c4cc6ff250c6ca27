"""Also stores numpy's RNG state (numpy arrays): torch.load(weights_only=True) refuses the file."""
import os
from typing import BinaryIO

import numpy as np
import torch
from torch import nn


def save_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer, iteration: int,
                    out: str | os.PathLike | BinaryIO) -> None:
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration,
                "numpy_rng_state": np.random.get_state()}, out)
