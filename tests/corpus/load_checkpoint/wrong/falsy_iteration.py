"""Falls back to an old "step" key with `or`: a checkpoint saved at iteration 0 returns None."""

import torch


def load_checkpoint(src, model, optimizer):
    checkpoint = torch.load(src, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    # older checkpoints of ours called it "step"
    return checkpoint.get("iteration") or checkpoint.get("step")
