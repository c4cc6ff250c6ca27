"""Calls model.eval() before taking the state dict and never switches back to training mode."""

import torch


def save_checkpoint(model, optimizer, iteration, out):
    model.eval()
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}, out)
