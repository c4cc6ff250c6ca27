"""Saves optimizer.state (keyed by Parameter objects) instead of optimizer.state_dict()."""

import torch


def save_checkpoint(model, optimizer, iteration, out):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state, "iteration": iteration}, out)
