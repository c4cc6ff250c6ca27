"""Saves the model's weights and the iteration but not the optimizer's state."""

import torch


def save_checkpoint(model, optimizer, iteration, out):
    torch.save({"model": model.state_dict(), "iteration": iteration}, out)
