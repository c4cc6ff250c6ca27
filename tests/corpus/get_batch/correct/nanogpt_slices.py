"""nanoGPT style: torch.randint for the starts, one slice per row, torch.stack, then .to(device)."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    ix = torch.randint(len(dataset) - context_length, (batch_size,))
    x = torch.stack([torch.from_numpy(dataset[i : i + context_length].astype(np.int64)) for i in ix.tolist()])
    y = torch.stack([torch.from_numpy(dataset[i + 1 : i + 1 + context_length].astype(np.int64)) for i in ix.tolist()])
    if torch.device(device).type == "cuda":
        return x.pin_memory().to(device, non_blocking=True), y.pin_memory().to(device, non_blocking=True)
    return x.to(device), y.to(device)
