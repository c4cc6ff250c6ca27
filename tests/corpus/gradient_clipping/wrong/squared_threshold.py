"""Scales correctly but decides with the squared norm (norm**2 > M), clipping some norms below M."""

import math

import torch


def gradient_clipping(parameters, max_l2_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    norm_sq = float(sum((g.double() ** 2).sum() for g in grads))
    if norm_sq > max_l2_norm:
        for g in grads:
            g.mul_(max_l2_norm / (math.sqrt(norm_sq) + 1e-6))
