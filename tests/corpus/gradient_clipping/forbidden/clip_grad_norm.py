"""Calls torch.nn.utils.clip_grad_norm_ directly."""

import torch


def gradient_clipping(parameters, max_l2_norm):
    torch.nn.utils.clip_grad_norm_(parameters, max_l2_norm)
