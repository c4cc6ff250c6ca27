"""The cpu preset against a GPT-2-style baseline of nanoGPT's "baby GPT" size, in one process.

    python benchmarks/baseline_gpt.py                 # 2000 steps each (about 5 minutes on 2 idle cores)
    python benchmarks/baseline_gpt.py --no-runs       # only the models stepping in turn (two minutes)

The baseline is written here for the benchmark, after nanoGPT's ``model.py``
and ``train.py`` (not copied): learned position embeddings, LayerNorm, one
fused q/k/v projection, a GELU MLP of width 4 d, the output layer tied to the
token embedding, no biases, no dropout; PyTorch's cross-entropy, AdamW (decay
on matrices only), clip_grad_norm_; nanoGPT's warmup-and-cosine schedule and
its baby-GPT learning rate (1e-3), and its evaluation, ``estimate_loss``: 20
batches of training and of validation data every 250 steps and at step 0.

Both sides train on the same windows: the same sampler (the reference
``get_batch``) from the same numpy seed, ``steps`` x 12 x 64 tokens. Printed:

* training tokens/s: tokens / seconds spent in training steps (evaluation excluded);
* wall time: the whole run as a user waits for it. For the cpu preset, all of
  ``lmtrain.train.train`` (evaluations, final whole-split evaluation, samples,
  checkpoints); for the baseline, its loop with its own evaluations. The
  baseline's whole-split loss below is measured afterwards and not counted;
* validation loss on the whole split, by the same function (``lmtrain.train.evaluate``).

Run order alternates with ``--repeat``; a noisy neighbour on a shared machine
then slows both sides alike. Only the ratios of one run mean anything.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lmtrain.config import make_config
from lmtrain.data import load_tokens
from lmtrain.parts import TrainingParts
from lmtrain.train import evaluate, train


class Block(nn.Module):
    """Pre-LayerNorm block: ``x + attn(ln_1(x))``, then ``+ mlp(ln_2(.))``. (B, T, d) -> (B, T, d)."""

    def __init__(self, d: int, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.ln_1 = nn.LayerNorm(d, bias=False)
        self.c_attn = nn.Linear(d, 3 * d, bias=False)  # q, k, v in one matmul
        self.c_proj = nn.Linear(d, d, bias=False)
        self.ln_2 = nn.LayerNorm(d, bias=False)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d, bias=False), nn.GELU(), nn.Linear(4 * d, d, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, d = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=2)
        q, k, v = (t.view(B, T, self.num_heads, d // self.num_heads).transpose(1, 2) for t in (q, k, v))  # (B, h, T, hs)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B, T, d)
        x = x + self.c_proj(y)
        return x + self.mlp(self.ln_2(x))


class BaselineGPT(nn.Module):
    """GPT-2-style decoder: token + learned position embeddings, blocks, LayerNorm, tied output layer."""

    def __init__(self, vocab_size: int, context_length: int, d: int, num_layers: int, num_heads: int):
        super().__init__()
        self.context_length = context_length
        self.wte = nn.Embedding(vocab_size, d)
        self.wpe = nn.Embedding(context_length, d)
        self.blocks = nn.ModuleList(Block(d, num_heads) for _ in range(num_layers))
        self.ln_f = nn.LayerNorm(d, bias=False)
        self.lm_head = nn.Linear(d, vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying, as GPT-2
        for name, p in self.named_parameters():
            if p.dim() == 2:  # GPT-2 init; residual projections scaled by 1/sqrt(2 L)
                std = 0.02 / math.sqrt(2 * num_layers) if name.endswith(("c_proj.weight", "mlp.2.weight")) else 0.02
                nn.init.normal_(p, mean=0.0, std=std)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        T = ids.shape[1]
        x = self.wte(ids) + self.wpe(torch.arange(T, device=ids.device))
        for block in self.blocks:
            x = block(x)
        return self.lm_head(self.ln_f(x))  # (B, T, V)


def nanogpt_lr(it: int, max_lr: float, min_lr: float, warmup: int, decay_iters: int) -> float:
    """nanoGPT's get_lr: linear warmup from (1 / (warmup + 1)) max_lr, cosine to min_lr at decay_iters."""
    if it < warmup:
        return max_lr * (it + 1) / (warmup + 1)
    if it > decay_iters:
        return min_lr
    ratio = (it - warmup) / (decay_iters - warmup)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (max_lr - min_lr)


def run_baseline(steps: int, seed: int, get_batch, train_tokens, val_tokens) -> dict:
    started = time.perf_counter()
    config = make_config("cpu")
    B, T = config.batch_size, config.context_length
    torch.manual_seed(seed)
    np.random.seed(seed)
    model = BaselineGPT(config.vocab_size, T, config.d_model, config.num_layers, config.num_heads)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=1e-3, betas=(0.9, 0.99))

    @torch.no_grad()
    def estimate_loss(eval_iters: int = 20) -> None:
        # nanoGPT's estimate_loss: random batches of each split; it draws them from torch's RNG,
        # here from a generator of its own so that training sees the same windows as the cpu preset.
        model.eval()
        generator = torch.Generator().manual_seed(seed)
        for tokens in (train_tokens, val_tokens):
            for _ in range(eval_iters):
                starts = torch.randint(len(tokens) - T - 1, (B,), generator=generator).numpy()
                x = torch.from_numpy(np.stack([tokens[s:s + T] for s in starts]).astype(np.int64))
                model(x)
        model.train()

    train_seconds = 0.0
    for it in range(steps):
        if it % 250 == 0:
            estimate_loss()
        tick = time.perf_counter()
        for group in optimizer.param_groups:
            group["lr"] = nanogpt_lr(it, 1e-3, 1e-4, 100, steps)
        x, y = get_batch(train_tokens, B, T, "cpu")
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if it % 10 == 0:
            loss.item()  # nanoGPT reads the loss every log_interval steps
        train_seconds += time.perf_counter() - tick
    estimate_loss()
    wall = time.perf_counter() - started
    val = evaluate(model, val_tokens, T, config.eval_batch_size, torch.device("cpu"))
    return {"tokens_per_second": steps * B * T / train_seconds, "wall_seconds": wall, "val_loss": val["loss"],
            "parameters": sum(p.numel() for p in model.parameters())}


def run_workbook(steps: int, parts: TrainingParts, train_tokens, val_tokens) -> dict:
    with tempfile.TemporaryDirectory() as run_dir:
        config = make_config("cpu", max_steps=steps, run_dir=run_dir, progress=False, resume=False)
        history = train(config, parts, train_tokens=train_tokens, val_tokens=val_tokens)
    return {"tokens_per_second": history.tokens_per_second, "wall_seconds": history.wall_seconds,
            "val_loss": history.final_val_loss, "parameters": history.num_parameters,
            "eval_seconds": history.eval_seconds, "final_eval_seconds": history.val[-1]["seconds"]}


def interleaved_steps(steps: int, parts: TrainingParts, train_tokens) -> dict:
    """Median step time of each side, the two stepping in turn on the same batches.

    A neighbour that slows the machine for a while slows both sides alike, which
    separate runs minutes apart cannot promise; the ratio of this one is the
    sturdier measure of training tokens/s on a shared machine.
    """
    from lmtrain.train import build_model, parts_bound

    config = make_config("cpu")
    B, T = config.batch_size, config.context_length
    torch.manual_seed(config.seed)
    workbook = build_model(config)
    workbook_optimizer = parts.AdamW(workbook.parameters(), lr=config.max_learning_rate,
                                     betas=(config.beta1, config.beta2), eps=config.eps,
                                     weight_decay=config.weight_decay)
    baseline = BaselineGPT(config.vocab_size, T, config.d_model, config.num_layers, config.num_heads)
    baseline_optimizer = torch.optim.AdamW(baseline.parameters(), lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1)
    np.random.seed(config.seed)
    times = {"baseline": [], "workbook": []}
    with parts_bound(parts.train_step, parts):
        for it in range(steps):
            x, y = parts.get_batch(train_tokens, B, T, "cpu")
            tick = time.perf_counter()
            lr = parts.get_lr_cosine_schedule(it, config.max_learning_rate, config.min_learning_rate,
                                              config.warmup_iters, steps)
            parts.train_step(workbook, workbook_optimizer, x, y, lr, config.max_l2_norm)
            times["workbook"].append(time.perf_counter() - tick)
            tick = time.perf_counter()
            for group in baseline_optimizer.param_groups:
                group["lr"] = nanogpt_lr(it, 1e-3, 1e-4, 100, steps)
            loss = F.cross_entropy(baseline(x).flatten(0, 1), y.flatten())
            loss.backward()
            torch.nn.utils.clip_grad_norm_(baseline.parameters(), 1.0)
            baseline_optimizer.step()
            baseline_optimizer.zero_grad(set_to_none=True)
            loss.item()
            times["baseline"].append(time.perf_counter() - tick)
    return {side: B * T / statistics.median(t[steps // 10:]) for side, t in times.items()}  # after a warm-up tenth


class _NoRoPEAttention(nn.Module):
    """The cpu preset's attention with the rotation left out (same weights, same SDPA): what RoPE costs."""

    def __init__(self, attention):
        super().__init__()
        self.inner = attention

    def forward(self, x, token_positions=None, rotations=None):
        a = self.inner
        B, T, d = x.shape
        weight = torch.cat((a.q_proj.weight, a.k_proj.weight, a.v_proj.weight))
        q, k, v = F.linear(x, weight).view(B, T, 3, a.num_heads, d // a.num_heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return a.output_proj(y.transpose(1, 2).reshape(B, T, d))


class _GeluMLP(nn.Module):
    """The baseline's feed-forward (width 4 d, GELU) in place of SwiGLU."""

    def __init__(self, d: int):
        super().__init__()
        self.up, self.down = nn.Linear(d, 4 * d, bias=False), nn.Linear(4 * d, d, bias=False)

    def forward(self, x):
        return self.down(F.gelu(self.up(x)))


def architecture_costs(steps: int) -> dict:
    """Forward and backward of the cpu preset's model with one CS336 choice at a time replaced by the
    baseline's, against the baseline, stepping in turn on the same batch: what each choice costs."""
    from lmtrain.train import build_model

    config = make_config("cpu")
    B, T, d = config.batch_size, config.context_length, config.d_model

    def variant(layer_norm=False, no_rope=False, gelu=False):
        torch.manual_seed(config.seed)
        model = build_model(config)
        for layer in model.layers:
            if layer_norm:
                layer.ln1, layer.ln2 = nn.LayerNorm(d, bias=False), nn.LayerNorm(d, bias=False)
            if no_rope:
                layer.attn = _NoRoPEAttention(layer.attn)
            if gelu:
                layer.ffn = _GeluMLP(d)
        if layer_norm:
            model.ln_final = nn.LayerNorm(d, bias=False)
        return model

    torch.manual_seed(config.seed)
    models = {
        "GPT-2-style baseline": BaselineGPT(config.vocab_size, T, d, config.num_layers, config.num_heads),
        "cpu preset": variant(),
        "... RMSNorm -> LayerNorm": variant(layer_norm=True),
        "... without RoPE": variant(no_rope=True),
        "... SwiGLU -> GELU MLP (4 d)": variant(gelu=True),
        "... all three": variant(layer_norm=True, no_rope=True, gelu=True),
    }
    ids = torch.randint(0, config.vocab_size, (B, T))
    targets = torch.randint(0, config.vocab_size, (B, T))
    times = {name: [] for name in models}
    for _ in range(steps):
        for name, model in models.items():
            tick = time.perf_counter()
            model.zero_grad(set_to_none=True)
            F.cross_entropy(model(ids).flatten(0, 1), targets.flatten()).backward()
            times[name].append(time.perf_counter() - tick)
    return {name: statistics.median(t[steps // 10:]) for name, t in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="optimizer steps of each side (default 2000)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side, alternating (default 1)")
    parser.add_argument("--parts", choices=["solutions", "builtin"], default="solutions",
                        help="the cpu preset's parts (default: the reference answers)")
    parser.add_argument("--interleaved", type=int, default=200,
                        help="steps of each side taken in turn, for the median-step tokens/s (default 200; 0 skips)")
    parser.add_argument("--architecture", type=int, default=150,
                        help="forward+backward steps of each architecture variant, in turn (default 150; 0 skips)")
    parser.add_argument("--no-runs", action="store_true", help="only the interleaved measurements, not the whole runs")
    args = parser.parse_args()
    parts = TrainingParts.from_solutions() if args.parts == "solutions" else TrainingParts.builtin()
    train_tokens, val_tokens = load_tokens("train"), load_tokens("val")
    if args.interleaved:
        speed = interleaved_steps(args.interleaved, parts, train_tokens)
        print(f"median step, {args.interleaved} steps of each side in turn, {torch.get_num_threads()} threads: "
              f"baseline {speed['baseline']:,.0f} tokens/s, cpu preset {speed['workbook']:,.0f} tokens/s, "
              f"ratio {speed['workbook'] / speed['baseline']:.3f}", flush=True)
    if args.architecture:
        costs = architecture_costs(args.architecture)
        base = costs["GPT-2-style baseline"]
        print(f"forward + backward, median of {args.architecture} in turn (what each CS336 choice costs):")
        for name, seconds in costs.items():
            print(f"  {name:<34}{seconds * 1e3:8.2f} ms{seconds / base:8.3f}x", flush=True)
    if args.no_runs:
        return 0
    seed = make_config("cpu").seed
    runs = {"baseline": [], "workbook": []}
    for attempt in range(args.repeat):
        order = ["workbook", "baseline"] if attempt % 2 == 0 else ["baseline", "workbook"]
        for side in order:
            if side == "baseline":
                runs[side].append(run_baseline(args.steps, seed, parts.get_batch, train_tokens, val_tokens))
            else:
                runs[side].append(run_workbook(args.steps, parts, train_tokens, val_tokens))
            print(f"  {side} run {attempt + 1}: " + ", ".join(f"{k} {v:,.4g}" for k, v in runs[side][-1].items()),
                  file=sys.stderr)

    def median(side, key):
        return statistics.median(r[key] for r in runs[side])

    print(f"{args.steps} steps of 12 x 64 tokens each side, the same windows; {torch.get_num_threads()} threads; "
          f"medians of {args.repeat} run(s)")
    print(f"{'':<36}{'GPT-2-style baseline':>22}{'cpu preset':>14}{'ratio':>9}")
    rows = [("parameters", "parameters", "{:,.0f}", False),
            ("training tokens/s", "tokens_per_second", "{:,.0f}", False),
            ("wall time of the run (s)", "wall_seconds", "{:.1f}", False),
            ("validation loss, whole split", "val_loss", "{:.4f}", False)]
    for label, key, fmt, _ in rows:
        b, w = median("baseline", key), median("workbook", key)
        print(f"{label:<36}{fmt.format(b):>22}{fmt.format(w):>14}{w / b:>9.3f}")
    print(f"cpu preset: {median('workbook', 'eval_seconds'):.1f} s of its wall time evaluating, of which "
          f"{median('workbook', 'final_eval_seconds'):.1f} s the final whole-split evaluation")
    speed = median("workbook", "tokens_per_second") / median("baseline", "tokens_per_second")
    wall = median("workbook", "wall_seconds") / median("baseline", "wall_seconds")
    print(f"targets: tokens/s ratio {speed:.3f} ({'meets' if speed >= 1.0 else 'misses'} >= 1.0); "
          f"wall-time ratio {wall:.3f} ({'meets' if wall <= 1.2 else 'misses'} <= 1.2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
