"""Its own log-softmax and take_along_dim on the (int64) targets as they come."""
import torch


def perplexity(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    log_probabilities = torch.log_softmax(inputs, dim=-1)
    picked = torch.take_along_dim(log_probabilities, targets.unsqueeze(-1), dim=-1)
    return torch.exp(-picked.mean())
