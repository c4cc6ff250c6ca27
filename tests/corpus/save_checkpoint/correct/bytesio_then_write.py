"""Serialises into an io.BytesIO first, then writes the bytes to the file object or to the path (Path.write_bytes)."""
import io
import os
from pathlib import Path
from typing import BinaryIO

import torch
from torch import nn


def save_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer, iteration: int,
                    out: str | os.PathLike | BinaryIO) -> None:
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}, buffer)
    data = buffer.getvalue()
    if hasattr(out, "write"):
        out.write(data)
    else:
        Path(os.fspath(out)).write_bytes(data)
