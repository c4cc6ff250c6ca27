"""Regenerate tests/compute_vectors.json, the expected outputs of the calculator data/compute.html.

    python tests/make_compute_vectors.py          # rewrite the JSON
    python tests/make_compute_vectors.py --check  # exit 1 if the committed JSON is stale

The expected values do not come from the page's formulas. Each one is obtained another way:

* parameters: ``sum(p.numel())`` of a PyTorch model with those shapes, built on the meta device
  (no memory is allocated, so GPT-2 XL costs nothing);
* forward and backward FLOPs: ``torch.utils.flop_counter.FlopCounterMode`` counting the matrix
  multiplications (2mnk each) of a real forward and backward pass of that model on meta tensors
  (with one and two blocks, extrapolated to L identical blocks, to keep the generator fast);
* activations: the components the course notes list, summed one by one (not the factored closed
  form L(16Nd + 2BhT^2) + Nd + 2NV that the page and notebook 03 use);
* memory, the largest batch size, AdamW FLOPs and training time follow from those counts and the
  byte sizes of each precision.

The output is deterministic: same code, same JSON, byte for byte.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import sys
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

VECTORS_PATH = Path(__file__).with_name("compute_vectors.json")

#: FLOPs of the AdamW update per parameter. This is a convention, not a measurement: it must equal
#: the constant of notebook 03's ``adamw_step_flops`` and ``ADAMW_FLOPS_PER_PARAMETER`` in
#: data/compute.html (tests/test_compute_vectors.py checks all three agree).
ADAMW_FLOPS_PER_PARAMETER = 14

#: One "GB" of GPU memory, in bytes (GPU vendors quote decimal gigabytes: an "80 GB" A100).
BYTES_PER_GB = 10**9

#: Bytes per element of each tensor group, per precision option of the page.
PRECISIONS = {
    # everything in float32, as the course notes assume
    "fp32": {"parameters": 4, "gradients": 4, "optimizer_state": 8, "activations": 4},
    # everything in bfloat16, AdamW's m and v included
    "bf16": {"parameters": 2, "gradients": 2, "optimizer_state": 4, "activations": 2},
    # bf16 activations; float32 master weights, gradients and m, v
    "mixed": {"parameters": 4, "gradients": 4, "optimizer_state": 8, "activations": 2},
}

GPT2 = {
    "small": dict(num_layers=12, d_model=768, num_heads=12),
    "medium": dict(num_layers=24, d_model=1024, num_heads=16),
    "large": dict(num_layers=36, d_model=1280, num_heads=20),
    "xl": dict(num_layers=48, d_model=1600, num_heads=25),
}

#: The A100 setting of the CS336 question: 80 GB, 19.5 TFLOP/s fp32, 50% MFU, 400K steps.
A100 = dict(precision="fp32", gpu_memory_gb=80, peak_tflops=19.5, mfu=0.5, num_steps=400_000)


def _gpt2(size: str, batch_size: int, **overrides) -> dict:
    inputs = dict(vocab_size=50257, context_length=1024, **GPT2[size])
    inputs["d_ff"] = 4 * inputs["d_model"]
    inputs.update(batch_size=batch_size, **A100)
    inputs.update(overrides)
    return inputs


def _small(**inputs) -> dict:
    full = dict(A100)
    full.update(inputs)
    full.setdefault("d_ff", 4 * full["d_model"])
    return full


CASES: list[tuple[str, dict]] = [
    ("gpt2-small batch 1", _gpt2("small", 1)),
    ("gpt2-small batch 8", _gpt2("small", 8)),
    ("gpt2-medium batch 1", _gpt2("medium", 1)),
    ("gpt2-medium batch 4", _gpt2("medium", 4)),
    ("gpt2-large batch 1", _gpt2("large", 1)),
    ("gpt2-large batch 2", _gpt2("large", 2)),
    ("gpt2-xl batch 1", _gpt2("xl", 1)),
    ("gpt2-xl batch 1024", _gpt2("xl", 1024)),
    ("gpt2-xl batch 2, bf16, 40 GB", _gpt2("xl", 2, precision="bf16", gpu_memory_gb=40)),
    ("gpt2-small batch 16, mixed precision, H100", _gpt2("small", 16, precision="mixed", peak_tflops=989.5, mfu=0.4)),
    ("tiny: V 10, T 4, L 1, d 8, h 2", _small(vocab_size=10, context_length=4, num_layers=1, d_model=8, num_heads=2,
                                                batch_size=3, gpu_memory_gb=0.001, peak_tflops=1, mfu=1, num_steps=7)),
    ("odd sizes: V 257, T 33, L 3, d 48, h 3", _small(vocab_size=257, context_length=33, num_layers=3, d_model=48,
                                                        num_heads=3, batch_size=5, gpu_memory_gb=0.5, peak_tflops=0.25,
                                                        mfu=0.33, num_steps=1234)),
    ("d_ff not 4d: V 1000, T 64, L 2, d 64, h 4, d_ff 172", _small(vocab_size=1000, context_length=64, num_layers=2,
                                                                     d_model=64, num_heads=4, d_ff=172, batch_size=7,
                                                                     gpu_memory_gb=2, peak_tflops=10, mfu=0.25,
                                                                     num_steps=5000)),
    ("one head, d_ff 1, mixed: V 3, T 2, L 4, d 5, h 1", _small(vocab_size=3, context_length=2, num_layers=4, d_model=5,
                                                               num_heads=1, d_ff=1, batch_size=1, precision="mixed",
                                                               gpu_memory_gb=1, peak_tflops=0.001, mfu=0.1,
                                                               num_steps=1)),
    ("model states alone exceed the GPU: gpt2-xl in 16 GB", _gpt2("xl", 1, gpu_memory_gb=16)),
]


class Block(nn.Module):
    """Pre-norm Transformer block: RMSNorm -> causal multi-head attention, RMSNorm -> W1 -> SiLU -> W2."""

    def __init__(self, d_model: int, num_heads: int, d_ff: int, device: torch.device):
        super().__init__()
        self.num_heads = num_heads
        self.ln1 = nn.RMSNorm(d_model, device=device)
        self.q_proj = nn.Linear(d_model, d_model, bias=False, device=device)
        self.k_proj = nn.Linear(d_model, d_model, bias=False, device=device)
        self.v_proj = nn.Linear(d_model, d_model, bias=False, device=device)
        self.output_proj = nn.Linear(d_model, d_model, bias=False, device=device)
        self.ln2 = nn.RMSNorm(d_model, device=device)
        self.w1 = nn.Linear(d_model, d_ff, bias=False, device=device)
        self.w2 = nn.Linear(d_ff, d_model, bias=False, device=device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, seq, d_model = x.shape
        heads = lambda t: t.view(batch, seq, self.num_heads, d_model // self.num_heads).transpose(1, 2)  # noqa: E731
        y = self.ln1(x)
        q, k, v = heads(self.q_proj(y)), heads(self.k_proj(y)), heads(self.v_proj(y))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(d_model // self.num_heads)
        causal = torch.ones(seq, seq, dtype=torch.bool, device=x.device).tril()
        weights = scores.masked_fill(~causal, float("-inf")).softmax(dim=-1)
        attended = (weights @ v).transpose(1, 2).reshape(batch, seq, d_model)
        x = x + self.output_proj(attended)
        return x + self.w2(F.silu(self.w1(self.ln2(x))))


class TransformerLM(nn.Module):
    """Token embedding, ``num_layers`` blocks, final RMSNorm, untied output embedding (no biases)."""

    def __init__(self, vocab_size: int, num_layers: int, d_model: int, num_heads: int, d_ff: int,
                 device: torch.device):
        super().__init__()
        self.token_embeddings = nn.Embedding(vocab_size, d_model, device=device)
        self.layers = nn.ModuleList(Block(d_model, num_heads, d_ff, device) for _ in range(num_layers))
        self.ln_final = nn.RMSNorm(d_model, device=device)
        self.lm_head = nn.Linear(d_model, vocab_size, bias=False, device=device)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.token_embeddings(tokens)
        for layer in self.layers:
            x = layer(x)
        return self.lm_head(self.ln_final(x))


@functools.cache
def meta_model(vocab_size: int, num_layers: int, d_model: int, num_heads: int, d_ff: int) -> TransformerLM:
    """The model on the meta device: shapes only, no memory, so GPT-2 XL is free to build."""
    return TransformerLM(vocab_size, num_layers, d_model, num_heads, d_ff, device=torch.device("meta"))


@functools.cache
def measure_flops(vocab_size: int, context_length: int, num_layers: int, d_model: int, num_heads: int, d_ff: int,
                  batch_size: int) -> tuple[int, int]:
    """(forward, backward) matmul FLOPs of one training step, counted by FlopCounterMode on meta tensors."""
    model = meta_model(vocab_size, num_layers, d_model, num_heads, d_ff)
    model.zero_grad(set_to_none=True)
    tokens = torch.zeros((batch_size, context_length), dtype=torch.long, device="meta")
    with FlopCounterMode(display=False) as forward_counter:
        logits = model(tokens)
        loss = F.cross_entropy(logits.view(-1, vocab_size), tokens.view(-1))
    with FlopCounterMode(display=False) as backward_counter:
        loss.backward()
    return forward_counter.get_total_flops(), backward_counter.get_total_flops()


def count_parameters_and_flops(inputs: dict) -> tuple[int, int, int]:
    """(parameters, forward FLOPs, backward FLOPs) of one training step, measured on the meta device.

    The parameters are counted on the full model. Counting FLOPs op by op costs about a second per
    GPT-2 XL pass, so they are measured on the same model with one and with two blocks: the blocks
    are identical, so the difference is one block's FLOPs, and L blocks cost f(1) + (L - 1)(f(2) - f(1)).
    """
    shape = {key: inputs[key] for key in ("vocab_size", "num_layers", "d_model", "num_heads", "d_ff")}
    parameters = sum(p.numel() for p in meta_model(**shape).parameters())
    measure = lambda layers: measure_flops(  # noqa: E731
        inputs["vocab_size"], inputs["context_length"], layers, inputs["d_model"], inputs["num_heads"],
        inputs["d_ff"], inputs["batch_size"])
    layers = inputs["num_layers"]
    if layers <= 2:
        forward, backward = measure(layers)
    else:
        (forward_1, backward_1), (forward_2, backward_2) = measure(1), measure(2)
        forward = forward_1 + (layers - 1) * (forward_2 - forward_1)
        backward = backward_1 + (layers - 1) * (backward_2 - backward_1)
    return parameters, forward, backward


def count_activations(inputs: dict) -> int:
    """Activation elements kept for the backward pass, component by component (course notes, 4.3)."""
    B, T, L = inputs["batch_size"], inputs["context_length"], inputs["num_layers"]
    d, h, d_ff, V = inputs["d_model"], inputs["num_heads"], inputs["d_ff"], inputs["vocab_size"]
    N = B * T
    per_block = {
        "RMSNorm inputs (two norms)": 2 * N * d,
        "QKV projections": 3 * N * d,
        "Q K^T scores": B * h * T * T,
        "softmax": B * h * T * T,
        "weighted sum of values": N * d,
        "output projection": N * d,
        "W1 matmul": N * d_ff,
        "SiLU": N * d_ff,
        "W2 matmul": N * d,
    }
    head = {"final RMSNorm": N * d, "output embedding (logits)": N * V, "cross-entropy (softmax over logits)": N * V}
    return L * sum(per_block.values()) + sum(head.values())


def expected_outputs(inputs: dict) -> dict:
    parameters, forward, backward = count_parameters_and_flops(inputs)
    # Every matmul with a trainable operand needs two matmuls of the same size backward: the page's
    # "backward = 2 x forward" is exact for these models. Stop here if a model change breaks that.
    assert backward == 2 * forward, (inputs, forward, backward)
    activations = count_activations(inputs)
    sizes = PRECISIONS[inputs["precision"]]
    memory = {
        "memory_parameters": sizes["parameters"] * parameters,
        "memory_gradients": sizes["gradients"] * parameters,
        "memory_optimizer_state": sizes["optimizer_state"] * parameters,
        "memory_activations": sizes["activations"] * activations,
    }
    memory["memory_total"] = sum(memory.values())
    # Memory is affine in the batch size: a * batch_size + b, with b the batch-independent model states.
    per_sequence = sizes["activations"] * count_activations(dict(inputs, batch_size=1))
    fixed = memory["memory_total"] - memory["memory_activations"]
    gpu_bytes = round(inputs["gpu_memory_gb"] * BYTES_PER_GB)
    max_batch = 0
    while fixed + per_sequence * (max_batch + 1) <= gpu_bytes:  # plain search, independent of the page's division
        step = 1
        while fixed + per_sequence * (max_batch + 2 * step) <= gpu_bytes:
            step *= 2
        max_batch += step
    adamw = ADAMW_FLOPS_PER_PARAMETER * parameters
    training = forward + backward + adamw
    days = inputs["num_steps"] * training / (inputs["peak_tflops"] * 1e12 * inputs["mfu"]) / 86400
    return {
        "parameters": parameters,
        "activations": activations,
        **memory,
        "memory_per_batch_element": per_sequence,
        "memory_fixed": fixed,
        "max_batch_size": max_batch,
        "forward_flops": forward,
        "backward_flops": backward,
        "adamw_step_flops": adamw,
        "training_step_flops": training,
        "training_days": days,
    }


def build() -> str:
    vectors = [{"name": name, "inputs": inputs, "expected": expected_outputs(inputs)} for name, inputs in CASES]
    document = {
        "about": "Inputs and expected outputs of data/compute.html; regenerate with tests/make_compute_vectors.py.",
        "adamw_flops_per_parameter": ADAMW_FLOPS_PER_PARAMETER,
        "bytes_per_gb": BYTES_PER_GB,
        "precisions": PRECISIONS,
        "vectors": vectors,
    }
    return json.dumps(document, indent=1) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the committed JSON")
    args = parser.parse_args()
    text = build()
    if args.check:
        if VECTORS_PATH.read_text(encoding="utf-8") != text:
            print(f"{VECTORS_PATH.name} is stale: run python tests/make_compute_vectors.py", file=sys.stderr)
            return 1
        return 0
    VECTORS_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {len(CASES)} vectors to {VECTORS_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
