"""The seed's save_checkpoint: one dict through torch.save, which handles paths and file objects."""

import torch


def save_checkpoint(model, optimizer, iteration, out_path):
    """
    Save model/optimizer/iteration to a single file.
    out_path: str or Path-like
    """
    payload = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "iteration": iteration,
    }
    torch.save(payload, out_path)
