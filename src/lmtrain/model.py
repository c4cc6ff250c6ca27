"""The decoder-only Transformer language model of CS336 assignment 1, in plain PyTorch.

Architecture (pre-norm, no biases anywhere)::

    token_ids (B, T)
      -> token_embeddings                                   (B, T, d_model)
      -> num_layers x [ x = x + attn(ln1(x)); x = x + ffn(ln2(x)) ]
      -> ln_final -> lm_head                                (B, T, vocab_size)

* ``RMSNorm``: ``x / sqrt(mean(x**2) + eps) * weight`` with eps = 1e-5.
* ``attn``: causal multi-head self-attention; RoPE rotates queries and keys.
* ``ffn``: SwiGLU, ``w2(silu(w1 x) * w3 x)``.
* ``lm_head`` is untied from ``token_embeddings``.

Parameter names and layouts match the CS336 reference implementation, so its
state dicts load without conversion (``nn.Linear`` stores weights as
``(d_out, d_in)``, like the reference ``Linear``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "RMSNorm",
    "apply_rope",
    "rope_tables",
    "rotate_pairs",
    "CausalSelfAttention",
    "SwiGLU",
    "TransformerBlock",
    "TransformerLM",
]


def _init_linear(linear: nn.Linear) -> None:
    """CS336 init: truncated normal, std sqrt(2 / (d_in + d_out)), clipped at 3 std."""
    d_out, d_in = linear.weight.shape
    std = math.sqrt(2.0 / (d_in + d_out))
    nn.init.trunc_normal_(linear.weight, mean=0.0, std=std, a=-3 * std, b=3 * std)


def _linear(d_in: int, d_out: int) -> nn.Linear:
    linear = nn.Linear(d_in, d_out, bias=False)
    _init_linear(linear)
    return linear


class RMSNorm(nn.Module):
    """Root-mean-square normalisation over the last dimension, with a learned gain.

    ``x (..., d_model) -> (..., d_model)``, same dtype as ``x``. The statistic is
    computed in float32 so that bf16 inputs do not lose the small ``eps``.
    """

    def __init__(self, d_model: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        in_dtype = x.dtype
        x = x.to(torch.promote_types(in_dtype, torch.float32))  # bf16/fp16 raised; float32/64 as they are
        # rsqrt and a multiply: two kernels fewer than sqrt and a division, forward and backward
        # (benchmarks/PROFILE.md); equal to x / sqrt(...) up to float32 rounding.
        inv_rms = torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps)  # (..., 1)
        return (x * inv_rms * self.weight).to(in_dtype)


def rope_tables(token_positions: torch.Tensor, d: int, theta: float = 10000.0) -> torch.Tensor:
    """The RoPE rotations ``e^{i * pos * theta**(-2k / d)}`` as complex64, shape ``(..., T, d/2)``.

    token_positions: integer ``(..., T)``. Angles are computed in float32 even
    under autocast: positions times ~1e-4 frequencies would lose whole radians in bf16.
    """
    inv_freq = theta ** (-torch.arange(0, d, 2, device=token_positions.device, dtype=torch.float32) / d)  # (d/2,)
    angles = token_positions.to(torch.float32).unsqueeze(-1) * inv_freq  # (..., T, d/2)
    return torch.polar(torch.ones_like(angles), angles)


def rotate_pairs(x: torch.Tensor, rotations: torch.Tensor) -> torch.Tensor:
    """Rotate the adjacent pairs ``(x[..., 2k], x[..., 2k+1])`` of ``x (..., T, d)`` by ``rotations (..., T, d/2)``.

    An adjacent pair is the memory layout of a complex number, so the rotation
    is one complex multiplication on a view of ``x``: one kernel forward and
    one backward, where the even/odd slices, four products and a stack took
    about ten (benchmarks/PROFILE.md). Computed in float32; returns ``x``'s dtype.
    """
    pairs = torch.view_as_complex(x.float().unflatten(-1, (-1, 2)))  # (..., T, d/2) complex64
    return torch.view_as_real(pairs * rotations).flatten(-2).to(x.dtype)


def apply_rope(x: torch.Tensor, token_positions: torch.Tensor, theta: float = 10000.0) -> torch.Tensor:
    """Rotary position embedding on ADJACENT pairs ``(x[..., 2k], x[..., 2k+1])``.

    Pair ``k`` at position ``i`` is rotated by the angle ``i * theta**(-2k / d)``
    (CS336 convention; ``d = x.shape[-1]`` must be even).

    x: ``(..., T, d)``; token_positions: integer ``(..., T)`` broadcastable against
    ``x.shape[:-1]``. Returns a tensor like ``x``.
    """
    d = x.shape[-1]
    if d % 2:
        raise ValueError(f"RoPE needs an even head dimension, got {d}.")
    return rotate_pairs(x, rope_tables(token_positions, d, theta))


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention with RoPE on queries and keys.

    ``x (B, T, d_model) -> (B, T, d_model)``; ``d_model`` is split into
    ``num_heads`` heads of ``d_head = d_model // num_heads``.
    """

    def __init__(self, d_model: int, num_heads: int, rope_theta: float = 10000.0):
        super().__init__()
        if d_model % num_heads:
            raise ValueError(f"d_model={d_model} is not divisible by num_heads={num_heads}.")
        self.num_heads = num_heads
        self.rope_theta = rope_theta
        self.q_proj = _linear(d_model, d_model)
        self.k_proj = _linear(d_model, d_model)
        self.v_proj = _linear(d_model, d_model)
        self.output_proj = _linear(d_model, d_model)

    def forward(self, x: torch.Tensor, token_positions: torch.Tensor | None = None,
                rotations: torch.Tensor | None = None) -> torch.Tensor:
        """``rotations`` (from :func:`rope_tables`) or ``token_positions`` ((T,) or (B, T)); not both needed.

        The model passes ``rotations`` computed once per forward, shared by all layers.
        """
        B, T, d_model = x.shape
        h, d_head = self.num_heads, d_model // self.num_heads
        if rotations is None:
            if token_positions is None:
                token_positions = torch.arange(T, device=x.device)
            rotations = rope_tables(token_positions, d_head, self.rope_theta)
        if rotations.dim() == 3:  # (B, T, d/2): one position per sequence, shared by all heads
            rotations = rotations.unsqueeze(1)  # (B, 1, T, d/2)
        # One matmul for q, k and v (the three weights side by side; their names and shapes stay
        # CS336's), then RoPE on q and k together: fewer, larger kernels (benchmarks/PROFILE.md).
        weight = torch.cat((self.q_proj.weight, self.k_proj.weight, self.v_proj.weight))  # (3 d_model, d_model)
        qkv = F.linear(x, weight).view(B, T, 3, h, d_head).permute(2, 0, 3, 1, 4)  # (3, B, h, T, d_head)
        qk = rotate_pairs(qkv[:2], rotations)  # (2, B, h, T, d_head)
        # The mask is causal in index order (query i sees keys 0..i), whatever the positions.
        y = F.scaled_dot_product_attention(qk[0], qk[1], qkv[2], is_causal=True)  # (B, h, T, d_head)
        y = y.transpose(1, 2).reshape(B, T, d_model)  # (B, T, d_model): heads side by side again
        return self.output_proj(y)


class SwiGLU(nn.Module):
    """Gated feed-forward network ``w2(silu(w1 x) * w3 x)``: (..., d_model) -> (..., d_model)."""

    def __init__(self, d_model: int, d_ff: int):
        super().__init__()
        self.w1 = _linear(d_model, d_ff)
        self.w2 = _linear(d_ff, d_model)
        self.w3 = _linear(d_model, d_ff)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w2(F.silu(self.w1(x)) * self.w3(x))  # inner tensors (..., d_ff)


class TransformerBlock(nn.Module):
    """Pre-norm block: ``x + attn(ln1(x))``, then ``+ ffn(ln2(.))``. (B, T, d_model) -> same."""

    def __init__(self, d_model: int, num_heads: int, d_ff: int, rope_theta: float = 10000.0):
        super().__init__()
        self.ln1 = RMSNorm(d_model)
        self.attn = CausalSelfAttention(d_model, num_heads, rope_theta)
        self.ln2 = RMSNorm(d_model)
        self.ffn = SwiGLU(d_model, d_ff)

    def forward(self, x: torch.Tensor, token_positions: torch.Tensor | None = None,
                rotations: torch.Tensor | None = None) -> torch.Tensor:
        x = x + self.attn(self.ln1(x), token_positions, rotations)
        return x + self.ffn(self.ln2(x))


class TransformerLM(nn.Module):
    """Decoder-only Transformer language model (CS336 assignment 1 architecture).

    Args:
        vocab_size: number of token ids ``V``.
        context_length: longest sequence ``forward`` accepts (``T <= context_length``).
        d_model: width ``d`` of the residual stream.
        num_layers: number of Transformer blocks.
        num_heads: attention heads per block; must divide ``d_model``.
        d_ff: hidden width of the SwiGLU feed-forward network.
        rope_theta: RoPE base ``Θ``.

    ``forward(token_ids (B, T) int64, token_positions (B, T) or (T,) optional)``
    returns unnormalised logits ``(B, T, V)`` for the next token at every
    position. Positions default to ``0 .. T-1``.
    """

    def __init__(
        self,
        vocab_size: int,
        context_length: int,
        d_model: int,
        num_layers: int,
        num_heads: int,
        d_ff: int,
        rope_theta: float = 10000.0,
    ):
        super().__init__()
        self.vocab_size = vocab_size
        self.context_length = context_length
        self.d_model = d_model
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.d_ff = d_ff
        self.rope_theta = rope_theta

        self.token_embeddings = nn.Embedding(vocab_size, d_model)
        nn.init.trunc_normal_(self.token_embeddings.weight, mean=0.0, std=1.0, a=-3.0, b=3.0)
        self.layers = nn.ModuleList(
            TransformerBlock(d_model, num_heads, d_ff, rope_theta) for _ in range(num_layers)
        )
        self.ln_final = RMSNorm(d_model)
        self.lm_head = _linear(d_model, vocab_size)
        # The rotations of positions 0 .. context_length - 1, shared by every layer and every step,
        # stored as (cos, sin) pairs: a real buffer moves, casts and broadcasts (DDP) like any other.
        # Not persistent: state dicts stay CS336's, and the table is rebuilt from the settings.
        rotations = rope_tables(torch.arange(context_length), d_model // num_heads, rope_theta)
        self.register_buffer("rope_rotations", torch.view_as_real(rotations).clone(), persistent=False)  # (T, d/2, 2)

    def forward(self, token_ids: torch.Tensor, token_positions: torch.Tensor | None = None) -> torch.Tensor:
        B, T = token_ids.shape
        if T > self.context_length:
            raise ValueError(
                f"Got sequences of length {T}, but this model's context_length is "
                f"{self.context_length}. Crop the input to the last {self.context_length} tokens."
            )
        if token_positions is None:
            # (T, d_head/2) complex: positions 0 .. T-1, computed once at init.
            rotations = torch.view_as_complex(self.rope_rotations[:T].float())
        else:
            rotations = rope_tables(token_positions, self.d_model // self.num_heads, self.rope_theta)
        x = self.token_embeddings(token_ids)  # (B, T, d_model)
        for layer in self.layers:
            x = layer(x, rotations=rotations)
        return self.lm_head(self.ln_final(x))  # (B, T, vocab_size)

    def num_parameters(self) -> int:
        """Number of trainable scalars (embeddings and output layer included: they are untied)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)
