"""Stores the model and optimizer objects themselves: the file fails torch.load(weights_only=True)."""

import torch


def save_checkpoint(model, optimizer, iteration, out):
    torch.save({"model": model, "optimizer": optimizer, "iteration": iteration}, out)
