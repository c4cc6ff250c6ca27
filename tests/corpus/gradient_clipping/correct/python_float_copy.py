"""Accumulates squares as Python floats and writes the result back with copy_."""

import math

import torch


def gradient_clipping(parameters, max_l2_norm):
    params = list(parameters)
    squares = 0.0
    for p in params:
        if p.grad is not None:
            squares += p.grad.double().pow(2).sum().item()
    norm = math.sqrt(squares)
    if norm <= max_l2_norm:
        return norm
    factor = max_l2_norm / (norm + 1e-6)
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p.grad.copy_(p.grad * factor)
    return norm
