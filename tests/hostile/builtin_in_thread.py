"""Class 7: call the forbidden built-in from another thread (the profiler hook is per thread)."""
# expect: points<=0 status=graded|integrity
import threading

import torch.nn.functional as F


def cross_entropy(inputs, targets):
    out = []
    worker = threading.Thread(target=lambda: out.append(
        F.cross_entropy(inputs.reshape(-1, inputs.shape[-1]), targets.reshape(-1))))
    worker.start()
    worker.join()
    return out[0]
