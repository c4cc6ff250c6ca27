"""Sampling text from a trained language model, one token at a time."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["generate", "top_p_filter"]


def top_p_filter(probs: torch.Tensor, top_p: float) -> torch.Tensor:
    """Nucleus filtering: keep the most likely tokens whose total mass first reaches ``top_p``.

    ``probs (..., V)`` sums to 1 over the last dimension. The result keeps that
    smallest set of tokens (always at least the most likely one), zeroes the
    rest and renormalises.
    """
    sorted_probs, order = probs.sort(dim=-1, descending=True)  # (..., V)
    mass_before = sorted_probs.cumsum(dim=-1) - sorted_probs  # mass of strictly more likely tokens
    sorted_probs = sorted_probs.masked_fill(mass_before >= top_p, 0.0)
    filtered = torch.zeros_like(probs).scatter(-1, order, sorted_probs)
    return filtered / filtered.sum(dim=-1, keepdim=True)


@torch.no_grad()
def generate(
    model: nn.Module,
    prompt_ids: Sequence[int] | torch.Tensor,
    max_new_tokens: int,
    temperature: float = 1.0,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
) -> list[int]:
    """Sample ``max_new_tokens`` tokens that continue ``prompt_ids``.

    Args:
        model: maps ``(1, T)`` int64 token ids to ``(1, T, V)`` logits and has a
            ``context_length`` attribute (like :class:`lmtrain.model.TransformerLM`).
        prompt_ids: at least one token id (list or 1-D tensor).
        max_new_tokens: exactly this many tokens are generated (no end-of-text stop).
        temperature: logits are divided by it before the softmax; ``0`` means
            greedy decoding (argmax, first index on ties).
        top_p: nucleus sampling threshold in ``(0, 1]``; ``1`` samples from the
            full distribution.
        generator: for reproducible sampling. Sampling happens on the
            generator's device, so a CPU generator gives the same tokens
            whichever device the model runs on (up to the logits' rounding).

    Returns:
        The ``max_new_tokens`` new token ids only (the prompt is not repeated),
        as a list of Python ints. Only the last ``model.context_length`` tokens
        are fed to the model at each step. The model is put in eval mode
        during sampling and its previous mode is restored afterwards.
    """
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0 (0 = greedy), got {temperature}.")
    if not 0 < top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1], got {top_p}.")
    if max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be >= 0, got {max_new_tokens}.")
    device = next(model.parameters()).device
    ids = torch.as_tensor(prompt_ids, dtype=torch.long, device=device).flatten()
    if ids.numel() == 0:
        raise ValueError("prompt_ids is empty: give at least one token to condition on.")

    was_training = model.training
    model.eval()
    try:
        new_ids: list[int] = []
        for _ in range(max_new_tokens):
            context = ids[-model.context_length:].unsqueeze(0)  # (1, T <= context_length)
            logits = model(context)[0, -1].float()  # (V,): next-token logits after the last position
            if temperature == 0:
                next_id = logits.argmax()
            else:
                probs = torch.softmax(logits / temperature, dim=-1)
                if top_p < 1:
                    probs = top_p_filter(probs, top_p)
                if generator is not None:
                    probs = probs.to(generator.device)
                next_id = torch.multinomial(probs, 1, generator=generator)[0]
            new_ids.append(int(next_id))
            ids = torch.cat([ids, next_id.to(device).view(1)])
    finally:
        model.train(was_training)
    return new_ids
