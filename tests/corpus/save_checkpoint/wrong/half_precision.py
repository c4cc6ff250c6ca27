"""Casts the weights to float16 to halve the file: the resumed weights are not the saved ones."""

import torch


def save_checkpoint(model, optimizer, iteration, out):
    weights = {name: t.half() if t.is_floating_point() else t for name, t in model.state_dict().items()}
    torch.save({"model": weights, "optimizer": optimizer.state_dict(), "iteration": iteration}, out)
