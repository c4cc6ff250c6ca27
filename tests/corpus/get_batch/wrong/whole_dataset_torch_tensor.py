"""Turns the whole dataset into a torch tensor with torch.tensor, then indexes it with torch."""

import torch


def get_batch(dataset, batch_size, context_length, device):
    data = torch.tensor(dataset.astype("int64"))
    starts = torch.randint(0, len(data) - context_length, (batch_size,))
    offsets = torch.arange(context_length)
    x = data[starts[:, None] + offsets]
    y = data[starts[:, None] + offsets + 1]
    return x.to(device), y.to(device)
