"""Reads the whole source into memory (Path.read_bytes or .read()) and loads from a BytesIO."""

import io
import os
from pathlib import Path

import torch


def load_checkpoint(src, model, optimizer):
    data = Path(src).read_bytes() if isinstance(src, (str, os.PathLike)) else src.read()
    checkpoint = torch.load(io.BytesIO(data), map_location=torch.device("cpu"), weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return int(checkpoint["iteration"])
