"""Combines torch.nn.utils.get_total_norm and clip_grads_with_norm_, reached through getattr."""

import importlib


def gradient_clipping(parameters, max_l2_norm):
    utils = importlib.import_module("torch.nn.utils")
    parameters = [p for p in parameters if p.grad is not None]
    total = getattr(utils, "get_total_" + "norm")([p.grad for p in parameters])
    getattr(utils, "clip_grads_with_norm_")(parameters, max_l2_norm, total)
