"""nanoGPT's full recipe: int64 numpy rows, and on CUDA pin_memory() plus a non_blocking copy; plain .to(device) elsewhere."""
import numpy as np
import torch


def get_batch(dataset, batch_size: int, context_length: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    device = torch.device(device)
    ix = np.random.randint(0, len(dataset) - context_length, size=batch_size)
    x = torch.from_numpy(np.stack([dataset[i:i + context_length].astype(np.int64) for i in ix]))
    y = torch.from_numpy(np.stack([dataset[i + 1:i + 1 + context_length].astype(np.int64) for i in ix]))
    if device.type == "cuda":
        x, y = x.pin_memory().to(device, non_blocking=True), y.pin_memory().to(device, non_blocking=True)
    else:
        x, y = x.to(device), y.to(device)
    return x, y
