"""Saves dict(model.named_parameters()): the BatchNorm running statistics (buffers) are lost."""

import torch


def save_checkpoint(model, optimizer, iteration, out):
    weights = {name: p.detach() for name, p in model.named_parameters()}
    torch.save({"model": weights, "optimizer": optimizer.state_dict(), "iteration": iteration}, out)
