"""Wraps the whole dataset with torch.from_numpy (a zero-copy view) and gathers the windows with torch indexing."""

import torch


def get_batch(dataset, batch_size, context_length, device):
    tokens = torch.from_numpy(dataset)  # shares memory with the array or memmap: nothing is read or copied
    starts = torch.randint(0, tokens.shape[0] - context_length, (batch_size, 1))
    index = starts + torch.arange(context_length + 1)
    windows = tokens[index].to(torch.int64)
    return windows[:, :-1].to(device), windows[:, 1:].to(device)
