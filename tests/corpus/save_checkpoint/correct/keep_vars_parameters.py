"""Saves model.state_dict(keep_vars=True): Parameter objects instead of plain tensors, which weights_only loads too."""

import torch


def save_checkpoint(model, optimizer, iteration, out):
    torch.save({"model": model.state_dict(keep_vars=True), "optimizer": optimizer.state_dict(), "iteration": iteration}, out)
