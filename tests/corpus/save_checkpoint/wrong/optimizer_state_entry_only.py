"""Saves optimizer.state_dict()["state"] only: the moments survive, the param groups' lr, betas and weight decay are lost."""

import torch


def save_checkpoint(model, optimizer, iteration, out):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()["state"], "iteration": iteration}, out)
