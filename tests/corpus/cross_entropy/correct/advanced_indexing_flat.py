"""Flattens with reshape, picks targets with arange advanced indexing, divides the sum by numel."""
import torch


def cross_entropy(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    logits = inputs.reshape(-1, inputs.size(-1))
    t = targets.reshape(-1)
    m, _ = torch.max(logits, dim=1)
    log_sum = m + (logits - m[:, None]).exp().sum(dim=1).log()
    nll = log_sum - logits[torch.arange(logits.size(0)), t]
    return nll.sum() / t.numel()
