"""Windows as Tensor.unfold of a zero-copy torch view of the dataset, indexed with torch.randint starts."""

import torch


def get_batch(dataset, batch_size, context_length, device):
    tokens = torch.from_numpy(dataset)  # shares memory with the array or memmap
    windows = tokens.unfold(0, context_length + 1, 1)  # (n - m, m + 1), a view: nothing is read yet
    starts = torch.randint(0, windows.shape[0], (batch_size,))
    rows = windows[starts].to(torch.int64)  # reads only the sampled windows
    return rows[:, :-1].to(device), rows[:, 1:].to(device)
