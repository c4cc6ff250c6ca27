"""Tests for lmtrain.model: every piece against an independent formula written here."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from lmtrain.model import CausalSelfAttention, RMSNorm, SwiGLU, TransformerLM, apply_rope

SMALL = dict(vocab_size=37, context_length=16, d_model=24, num_layers=2, num_heads=3, d_ff=40)


def small_model(seed: int = 0, **overrides) -> TransformerLM:
    torch.manual_seed(seed)
    return TransformerLM(**{**SMALL, **overrides})


def random_ids(shape, vocab_size=SMALL["vocab_size"], seed=1) -> torch.Tensor:
    return torch.randint(0, vocab_size, shape, generator=torch.Generator().manual_seed(seed))


def rope_reference(x: torch.Tensor, positions: torch.Tensor, theta: float) -> torch.Tensor:
    """Slow RoPE: adjacent pairs as complex numbers, multiplied by e^{i * pos * theta^(-2k/d)}."""
    x = x.double()
    out = torch.empty_like(x)
    d = x.shape[-1]
    for t in range(x.shape[-2]):
        for k in range(d // 2):
            angle = float(positions[t]) * theta ** (-2.0 * k / d)
            z = torch.complex(x[..., t, 2 * k], x[..., t, 2 * k + 1]) * complex(math.cos(angle), math.sin(angle))
            out[..., t, 2 * k], out[..., t, 2 * k + 1] = z.real, z.imag
    return out


def test_forward_shape_and_dtype():
    model = small_model()
    logits = model(random_ids((3, 11)))
    assert logits.shape == (3, 11, SMALL["vocab_size"])
    assert logits.dtype == torch.float32


def test_sequence_longer_than_context_is_rejected():
    model = small_model()
    with pytest.raises(ValueError, match="context_length"):
        model(random_ids((1, SMALL["context_length"] + 1)))


def test_causal_future_tokens_do_not_change_past_logits():
    model = small_model()
    ids = random_ids((2, 16))
    base = model(ids)
    for t in (0, 5, 14):
        changed = ids.clone()
        changed[:, t + 1:] = (changed[:, t + 1:] + 1) % SMALL["vocab_size"]
        out = model(changed)
        torch.testing.assert_close(out[:, : t + 1], base[:, : t + 1], msg=f"logits at <= {t} changed")
        assert not torch.allclose(out[:, t + 1:], base[:, t + 1:]), "later logits should depend on later tokens"


def test_parameter_names_and_shapes_follow_cs336():
    V, T, d, L, h, d_ff = (SMALL[k] for k in ("vocab_size", "context_length", "d_model", "num_layers", "num_heads", "d_ff"))
    expected = {"token_embeddings.weight": (V, d), "ln_final.weight": (d,), "lm_head.weight": (V, d)}
    for i in range(L):
        for proj in ("q_proj", "k_proj", "v_proj", "output_proj"):
            expected[f"layers.{i}.attn.{proj}.weight"] = (d, d)
        expected[f"layers.{i}.ln1.weight"] = (d,)
        expected[f"layers.{i}.ln2.weight"] = (d,)
        expected[f"layers.{i}.ffn.w1.weight"] = (d_ff, d)
        expected[f"layers.{i}.ffn.w2.weight"] = (d, d_ff)
        expected[f"layers.{i}.ffn.w3.weight"] = (d_ff, d)
    got = {name: tuple(t.shape) for name, t in small_model().state_dict().items()}
    assert got == expected


def test_state_dict_round_trip_into_fresh_model():
    a, b = small_model(seed=0), small_model(seed=1)
    b.load_state_dict(a.state_dict())  # strict: no extra buffers, no missing keys
    ids = random_ids((2, 9))
    torch.testing.assert_close(a(ids), b(ids))


def test_num_parameters_closed_form():
    V, d, L, d_ff = SMALL["vocab_size"], SMALL["d_model"], SMALL["num_layers"], SMALL["d_ff"]
    per_layer = 4 * d * d + 3 * d * d_ff + 2 * d
    assert small_model().num_parameters() == 2 * V * d + L * per_layer + d


def test_init_statistics():
    torch.manual_seed(0)
    model = TransformerLM(vocab_size=500, context_length=8, d_model=128, num_layers=1, num_heads=4, d_ff=384)
    emb = model.token_embeddings.weight
    # N(0, 1) truncated at +-3 has std 0.987.
    assert emb.abs().max() <= 3.0 and abs(emb.std().item() - 0.987) < 0.03
    w1 = model.layers[0].ffn.w1.weight
    std = math.sqrt(2 / (128 + 384))
    assert w1.abs().max() <= 3 * std + 1e-7
    assert abs(w1.std().item() / std - 0.987) < 0.03
    assert torch.equal(model.ln_final.weight, torch.ones(128))


def test_rope_matches_complex_rotation():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 7, 8, generator=g)
    positions = torch.tensor([0, 1, 2, 5, 9, 100, 3])
    got = apply_rope(x, positions, theta=10000.0)
    torch.testing.assert_close(got.double(), rope_reference(x, positions, 10000.0), atol=1e-5, rtol=1e-5)
    # Other base, batched positions of shape (B, 1, T) broadcast over heads.
    got_b = apply_rope(x, positions.expand(2, 7).unsqueeze(1), theta=500.0)
    torch.testing.assert_close(got_b.double(), rope_reference(x, positions, 500.0), atol=1e-5, rtol=1e-5)


def test_rope_preserves_pair_norms_and_position_zero():
    x = torch.randn(4, 6, generator=torch.Generator().manual_seed(3))
    out = apply_rope(x, torch.arange(4))
    torch.testing.assert_close(out[0], x[0])  # angle 0 at position 0
    torch.testing.assert_close(out.view(4, 3, 2).norm(dim=-1), x.view(4, 3, 2).norm(dim=-1))


def test_rmsnorm_closed_form():
    norm = RMSNorm(5)
    with torch.no_grad():
        norm.weight.copy_(torch.tensor([1.0, 2.0, 0.5, -1.0, 3.0]))
    x = torch.tensor([[3.0, -4.0, 0.0, 1.0, 2.0], [0.0, 0.0, 0.0, 0.0, 0.0]])
    rms = math.sqrt((9 + 16 + 0 + 1 + 4) / 5 + 1e-5)
    expected = torch.stack([x[0] / rms * norm.weight.detach(), torch.zeros(5)])
    torch.testing.assert_close(norm(x), expected)
    assert norm(x.bfloat16()).dtype == torch.bfloat16


def test_rmsnorm_gradients_match_autograd_and_pytorchs_rms_norm():
    """Gradients against gradcheck (float64: the norm must not drop to float32) and F.rms_norm's."""
    torch.manual_seed(0)
    norm = RMSNorm(16).double()
    with torch.no_grad():
        norm.weight.normal_()
    x = torch.randn(3, 5, 16, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(norm, (x,))
    grad = torch.randn(3, 5, 16, dtype=torch.float64)
    ours = torch.autograd.grad(norm(x), (x, norm.weight), grad)
    weight = norm.weight.detach().clone().requires_grad_(True)
    builtin = torch.autograd.grad(F.rms_norm(x, (16,), weight, eps=1e-5), (x, weight), grad)
    for a, b in zip(ours, builtin, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    # a zero row (all of its gradient through eps) and a frozen weight
    zero = torch.zeros(2, 16, dtype=torch.float64, requires_grad=True)
    norm.weight.requires_grad_(False)
    (grad_zero,) = torch.autograd.grad(norm(zero).sum(), zero)
    torch.testing.assert_close(grad_zero, norm.weight.expand(2, 16) / math.sqrt(1e-5))


def test_swiglu_closed_form():
    torch.manual_seed(0)
    ffn = SwiGLU(6, 10)
    x = torch.randn(2, 3, 6)
    a = x @ ffn.w1.weight.T
    expected = ((a * torch.sigmoid(a)) * (x @ ffn.w3.weight.T)) @ ffn.w2.weight.T
    torch.testing.assert_close(ffn(x), expected)


@pytest.mark.parametrize("batched_positions", [False, True])
def test_attention_equals_explicit_masked_softmax(batched_positions):
    torch.manual_seed(0)
    B, T, d, h = 2, 6, 12, 3
    attn = CausalSelfAttention(d, h, rope_theta=10000.0)
    x = torch.randn(B, T, d)
    positions = torch.tensor([3, 4, 5, 6, 7, 8]) if not batched_positions else torch.tensor([[0, 1, 2, 3, 4, 5], [7, 8, 9, 10, 11, 12]])
    got = attn(x, positions)

    W = {name: getattr(attn, name).weight.detach().double() for name in ("q_proj", "k_proj", "v_proj", "output_proj")}
    xd = x.double()
    expected = torch.empty(B, T, d, dtype=torch.float64)
    for b in range(B):
        pos = positions[b] if batched_positions else positions
        heads = []
        for head in range(h):
            cols = slice(head * d // h, (head + 1) * d // h)
            q = rope_reference(xd[b] @ W["q_proj"][cols].T, pos, 10000.0)  # (T, d_head)
            k = rope_reference(xd[b] @ W["k_proj"][cols].T, pos, 10000.0)
            v = xd[b] @ W["v_proj"][cols].T
            scores = q @ k.T / math.sqrt(d // h)
            scores = scores.masked_fill(torch.ones(T, T).triu(1).bool(), float("-inf"))
            heads.append(torch.softmax(scores, dim=-1) @ v)
        expected[b] = torch.cat(heads, dim=-1) @ W["output_proj"].T
    torch.testing.assert_close(got.double(), expected, atol=1e-5, rtol=1e-5)


def test_model_equals_explicit_composition():
    """Embedding -> pre-norm blocks -> final norm -> head, assembled from the tested parts."""
    model = small_model()
    ids = random_ids((2, 7))
    x = model.token_embeddings.weight[ids]
    positions = torch.arange(7)
    for layer in model.layers:
        x = x + layer.attn(layer.ln1(x), positions)
        x = x + layer.ffn(layer.ln2(x))
    expected = model.ln_final(x) @ model.lm_head.weight.T
    torch.testing.assert_close(model(ids), expected)


def test_backward_reaches_every_parameter_and_autocast_cpu_bf16_runs():
    model = small_model()
    ids = random_ids((2, 8))
    loss = F.cross_entropy(model(ids).flatten(0, 1), ids.flatten())
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = model(ids)
    assert logits.shape == (2, 8, SMALL["vocab_size"]) and torch.isfinite(logits).all()


def test_cached_rotations_equal_explicit_positions_and_stay_out_of_the_state_dict():
    model = small_model()
    ids = random_ids((2, 9))
    # The model's table of positions 0 .. context_length - 1 against rotations computed for these positions.
    torch.testing.assert_close(model(ids), model(ids, torch.arange(9)), atol=0, rtol=0)
    torch.testing.assert_close(model(ids[:, 3:]), model(ids[:, 3:], torch.arange(6)), atol=0, rtol=0)
    assert not any("rope" in key for key in model.state_dict()), "the RoPE table must not enter checkpoints"
