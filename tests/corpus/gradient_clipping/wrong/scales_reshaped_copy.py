"""Scales g.reshape(-1) in place: for a non-contiguous gradient reshape returns a copy, so p.grad stays unclipped."""

import math

import torch


def gradient_clipping(parameters, max_l2_norm):
    flat = [p.grad.reshape(-1) for p in parameters if p.grad is not None]
    total = math.sqrt(sum(float(g.double().square().sum()) for g in flat))
    if total > max_l2_norm:
        with torch.no_grad():
            for g in flat:
                g.mul_(max_l2_norm / (total + 1e-6))
