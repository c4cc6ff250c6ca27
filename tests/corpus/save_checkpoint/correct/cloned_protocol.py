"""Clones every tensor into a snapshot first and saves with pickle protocol 3 (weights_only still reads it)."""

import torch


def save_checkpoint(model, optimizer, iteration, out):
    model_state = {name: t.detach().clone() for name, t in model.state_dict().items()}
    checkpoint = {"model": model_state, "optimizer": optimizer.state_dict(), "iteration": int(iteration)}
    torch.save(checkpoint, out, pickle_protocol=3)
