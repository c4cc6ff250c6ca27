"""Clips when norm >= M instead of norm > M: a global norm exactly equal to M gets scaled by M / (M + 1e-6)."""

import math

import torch


def gradient_clipping(parameters, max_l2_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    total = math.sqrt(sum(float(g.double().pow(2).sum()) for g in grads))
    if total >= max_l2_norm:
        with torch.no_grad():
            for g in grads:
                g.mul_(max_l2_norm / (total + 1e-6))
