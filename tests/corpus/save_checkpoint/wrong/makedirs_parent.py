"""Creates the parent folder with os.makedirs(os.path.dirname(out)): breaks for file objects."""

import os

import torch


def save_checkpoint(model, optimizer, iteration, out):
    os.makedirs(os.path.dirname(out), exist_ok=True)
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}, out)
