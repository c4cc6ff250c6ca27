"""Finds the per-row max with sort (descending) and keeps the result in the input dtype via float32 math."""
import torch


def cross_entropy(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    x = inputs.float()
    c = x.sort(dim=-1, descending=True).values[..., :1]
    log_probs = (x - c) - (x - c).exp().sum(-1, keepdim=True).log()
    nll = -log_probs.gather(-1, targets[..., None]).squeeze(-1)
    return nll.mean().to(inputs.dtype)
