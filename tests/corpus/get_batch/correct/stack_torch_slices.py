"""One torch slice per row of a zero-copy view, stacked, with Python random.randrange starts."""

import random

import torch


def get_batch(dataset, batch_size, context_length, device):
    tokens = torch.from_numpy(dataset)
    starts = [random.randrange(len(dataset) - context_length) for _ in range(batch_size)]
    x = torch.stack([tokens[i:i + context_length].long() for i in starts])
    y = torch.stack([tokens[i + 1:i + 1 + context_length].long() for i in starts])
    return x.to(device), y.to(device)
