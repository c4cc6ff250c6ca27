"""Measures the norm on reshape(-1) copies (fine for any layout) and scales each real p.grad in place."""

import torch


def gradient_clipping(parameters, max_l2_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return None
    total = float(torch.cat([g.reshape(-1).double() for g in grads]).norm())
    if total > max_l2_norm:
        for g in grads:
            g.mul_(max_l2_norm / (total + 1e-6))
    return None
