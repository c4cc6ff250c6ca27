"""Moves every parameter to the CPU with p.data = ...clone(): the optimizer keeps the old tensors' storage."""

import torch


def save_checkpoint(model, optimizer, iteration, out):
    # "make sure everything is on the CPU before saving"
    for p in model.parameters():
        p.data = p.data.to("cpu", copy=True)
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}, out)
