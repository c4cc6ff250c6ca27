"""Copies contiguous logits but shifts a view in place through detach() to save memory: the caller's logits change."""
import torch


def cross_entropy(inputs, targets):
    x = inputs.clone() if inputs.is_contiguous() else inputs.detach()
    x -= x.max(dim=-1, keepdim=True).values
    lse = torch.log(torch.exp(x).sum(-1))
    return (lse - x.gather(-1, targets.long().unsqueeze(-1)).squeeze(-1)).mean()
