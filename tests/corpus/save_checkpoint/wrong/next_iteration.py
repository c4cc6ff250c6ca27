"""Stores iteration + 1 ("the step to run next") instead of the iteration it was given."""

import torch


def save_checkpoint(model, optimizer, iteration, out):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration + 1}, out)
