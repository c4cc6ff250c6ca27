"""Deep-copies both state dicts (copy.deepcopy) before saving, and stores int(iteration)."""

import copy

import torch


def save_checkpoint(model, optimizer, iteration, out):
    checkpoint = dict(
        model=copy.deepcopy(model.state_dict()),
        optimizer=copy.deepcopy(optimizer.state_dict()),
        iteration=int(iteration),
    )
    torch.save(checkpoint, out)
