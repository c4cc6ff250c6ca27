"""Always computes and returns float32 (the spec only asks for a float result), also for float64 logits."""
import torch


def cross_entropy(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    x = inputs.to(torch.float32)
    c = x.max(dim=-1, keepdim=True).values
    lse = c.squeeze(-1) + (x - c).exp().sum(-1).log()
    return (lse - x.gather(-1, targets.unsqueeze(-1)).squeeze(-1)).mean()
