"""Mean losses of chunks of 4096 positions via cross_entropy, weighted back to the global mean."""
import torch


def perplexity(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    logits = inputs.reshape(-1, inputs.shape[-1])
    flat = targets.reshape(-1)
    total = sum(cross_entropy(logits[i:i + 4096], flat[i:i + 4096]) * flat[i:i + 4096].numel()
                for i in range(0, flat.numel(), 4096))
    return (total / flat.numel()).exp()
