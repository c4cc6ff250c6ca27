"""A no-copy sliding_window_view of all windows of m + 1 tokens, indexed with starts from default_rng."""

import numpy as np
import torch

_rng = np.random.default_rng()


def get_batch(dataset, batch_size, context_length, device):
    windows = np.lib.stride_tricks.sliding_window_view(dataset, context_length + 1)  # (n - m, m + 1), a view
    rows = windows[_rng.integers(0, len(windows), size=batch_size)]
    batch = torch.as_tensor(rows.astype(np.int64), device=device)
    return batch[:, :context_length], batch[:, 1:]
