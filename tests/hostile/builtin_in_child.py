"""Class 7: call the forbidden built-in in a forked child and read the result through a pipe."""
# expect: points<=0 status=graded|integrity
import os
import pickle

import torch.nn.functional as F


def cross_entropy(inputs, targets):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        loss = F.cross_entropy(inputs.detach().reshape(-1, inputs.shape[-1]), targets.reshape(-1))
        os.write(write, pickle.dumps(float(loss)))
        os._exit(0)
    os.close(write)
    data = os.read(read, 4096)
    os.waitpid(pid, 0)
    import torch
    return torch.tensor(pickle.loads(data))
