"""Saves with pickle_protocol=5 "for speed": torch.load(weights_only=True) cannot read the file."""

import torch


def save_checkpoint(model, optimizer, iteration, out):
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}
    torch.save(checkpoint, out, pickle_protocol=5)
