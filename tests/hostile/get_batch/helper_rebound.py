"""Class 1: get_batch copies the whole dataset and hands back int32 tensors, and each call rebinds
two definitions the drives use, in the notebook's namespace: mapped_file_bytes (so that the
no-full-copy test reads 0 bytes) and describe (so that the dtype test reads int64)."""
# expect: get_batch_no_full_copy=0 get_batch_dtype_and_device=0 status=integrity
import numpy as np
import torch


def _liar(t):
    return {"type": "Tensor", "dtype": "torch.int64", "device": "cpu", "shape": tuple(getattr(t, "shape", ()))}


def get_batch(dataset, batch_size, context_length, device):
    globals()["mapped_file_bytes"] = lambda: 0
    globals()["describe"] = _liar
    everything = np.array(dataset)  # a full copy: what the no-full-copy test exists to catch
    starts = np.random.randint(0, len(everything) - context_length, size=batch_size)
    x = np.stack([everything[s:s + context_length] for s in starts]).astype(np.int32)
    y = np.stack([everything[s + 1:s + 1 + context_length] for s in starts]).astype(np.int32)
    return torch.from_numpy(x), torch.from_numpy(y)
