"""Imports clip_grad_norm_ under another name."""

from torch.nn.utils import clip_grad_norm_ as limit


def gradient_clipping(parameters, max_l2_norm):
    return limit(list(parameters), max_norm=max_l2_norm, eps=1e-6)
