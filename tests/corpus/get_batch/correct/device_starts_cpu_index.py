"""Draws the starts on the device with torch.randint, copies them back with .cpu() to index numpy."""

import numpy as np
import torch


def get_batch(dataset, batch_size, context_length, device):
    starts = torch.randint(0, len(dataset) - context_length, (batch_size, 1), device=device)
    index = (starts + torch.arange(context_length + 1, device=device)).cpu().numpy()  # (B, m + 1)
    rows = torch.from_numpy(dataset[index].astype(np.int64)).to(device)
    return rows[:, :-1], rows[:, 1:]
