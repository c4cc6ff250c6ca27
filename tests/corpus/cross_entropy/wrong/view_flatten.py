"""Flattens with .view: breaks on the non-contiguous views (a transpose, a slice) the task says it must accept."""
import torch


def cross_entropy(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    logits = inputs.view(-1, inputs.shape[-1])
    t = targets.view(-1)
    c = logits.max(dim=-1, keepdim=True).values
    lse = c.squeeze(-1) + torch.log(torch.exp(logits - c).sum(-1))
    return (lse - logits[torch.arange(len(t)), t]).mean()
