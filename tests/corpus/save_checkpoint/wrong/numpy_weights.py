"""Converts the weights to numpy arrays "for portability": torch.load(weights_only=True) refuses the file."""

import torch


def save_checkpoint(model, optimizer, iteration, out):
    weights = {name: tensor.detach().cpu().numpy() for name, tensor in model.state_dict().items()}
    torch.save({"model": weights, "optimizer": optimizer.state_dict(), "iteration": iteration}, out)
