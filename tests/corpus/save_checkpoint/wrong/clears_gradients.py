"""Calls optimizer.zero_grad() before saving, losing gradients accumulated so far."""

import torch


def save_checkpoint(model, optimizer, iteration, out):
    optimizer.zero_grad(set_to_none=True)
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}, out)
