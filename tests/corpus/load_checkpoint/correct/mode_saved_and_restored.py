"""Remembers model.training before loading and restores it afterwards (load_state_dict never changes it anyway)."""
import torch


def save_checkpoint(model, optimizer, iteration, out):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}, out)


def load_checkpoint(src, model, optimizer):
    was_training = model.training
    checkpoint = torch.load(src, weights_only=True)
    model.load_state_dict(checkpoint["model"], strict=True)
    optimizer.load_state_dict(checkpoint["optimizer"])
    model.train(was_training)
    return int(checkpoint["iteration"])
