"""Flattens each gradient with .view(-1) for the norm: RuntimeError on a non-contiguous (transposed) gradient."""

import torch


def gradient_clipping(parameters, max_l2_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    total = torch.cat([g.view(-1).double() for g in grads]).norm()
    if total > max_l2_norm:
        for g in grads:
            g.mul_(max_l2_norm / (float(total) + 1e-6))
