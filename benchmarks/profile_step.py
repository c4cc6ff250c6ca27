"""Where one training step of the cpu preset spends its time, and what the candidate fixes are worth.

    python benchmarks/profile_step.py              # the table and the A/B comparisons (about a minute)
    python benchmarks/profile_step.py --compile    # also torch.compile of the model (minutes on 2 cores)
    python benchmarks/profile_step.py --compile-only

Part 1 times each piece of a step in isolation, forward and backward, on the
shapes of the cpu preset (batch 12 x 64 tokens, 4 layers, width 128), and
multiplies it by how often a step runs it. What the pieces do not explain
(residual additions, autograd's bookkeeping, Python) is the last row. The
parts are the reference answers from ``solutions/``.

Part 2 runs candidate changes side by side in the same process, alternating
A and B in rounds so that a noisy neighbour slows both alike, and prints the
ratio B / A of the median times. Only ratios from one run are comparable:
absolute times on a shared 2-core machine move by 20% from minute to minute.
The write-up of one run is ``benchmarks/PROFILE.md``.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F

from lmtrain.config import make_config
from lmtrain.parts import TrainingParts
from lmtrain.train import build_model


def median_seconds(fn, reps: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        tick = time.perf_counter()
        fn()
        times.append(time.perf_counter() - tick)
    return statistics.median(times)


def compare(a, b, reps: int, rounds: int = 5) -> tuple[float, float]:
    """Median seconds of ``a`` and ``b``, measured in alternating rounds (a noisy neighbour hits both)."""
    times_a, times_b = [], []
    for _ in range(rounds):
        times_a.append(median_seconds(a, reps))
        times_b.append(median_seconds(b, reps))
    return statistics.median(times_a), statistics.median(times_b)


def report_pair(label: str, a, b, reps: int) -> None:
    """One row of the candidates table: A's and B's median microseconds and B / A."""
    ta, tb = compare(a, b, reps)
    print(f"  {label:<64}{ta * 1e6:>9.0f}{tb * 1e6:>9.0f}{tb / ta:>8.2f}", flush=True)


def forward_backward(module_fn, *inputs):
    """A closure running ``module_fn(*inputs)`` forward and backward (inputs that need grad get one)."""
    out = module_fn(*inputs)
    grad = torch.randn_like(out)

    def run():
        for t in inputs:
            if isinstance(t, torch.Tensor) and t.requires_grad:
                t.grad = None
        module_fn(*inputs).backward(grad)

    return run


def load_parts() -> TrainingParts:
    """The reference answers: the profile is of the course's own step, not of one student's."""
    return TrainingParts.from_solutions()  # says what to do where solutions/ is absent


def plain_step(model, optimizer, x, y, lr, max_l2_norm, parts):
    """The step of notebook 08, for parts that do not carry one (an older lmtrain)."""
    optimizer.zero_grad(set_to_none=True)
    for group in optimizer.param_groups:
        group["lr"] = lr
    loss = parts.cross_entropy(model(x), y)
    loss.backward()
    parts.gradient_clipping(model.parameters(), max_l2_norm)
    optimizer.step()
    return loss.item()


def training_step(model, optimizer, parts, train_tokens, config, step: int = 500):
    """One step as lmtrain.train runs it in a single fp32 process: schedule, get_batch, train_step."""
    train_step = getattr(parts, "train_step", None)

    def run():
        lr = parts.get_lr_cosine_schedule(step, config.max_learning_rate, config.min_learning_rate,
                                          config.warmup_iters, config.cosine_end)
        x, y = parts.get_batch(train_tokens, config.batch_size, config.context_length, "cpu")
        if train_step is None:
            plain_step(model, optimizer, x, y, lr, config.max_l2_norm, parts)
        else:
            from lmtrain.train import parts_bound

            with parts_bound(train_step, parts):  # the step reads a global `parts`, as in the loop
                train_step(model, optimizer, x, y, lr, config.max_l2_norm)

    return run


def attention_and_rope(model, positions):
    """The first layer's attention as the model calls it, and RoPE on a stacked (2, B, h, T, d_head) q and k."""
    import lmtrain.model as lm

    attn = model.layers[0].attn
    if hasattr(lm, "rotate_pairs"):  # rotations computed once per forward, q and k rotated together
        rotations = lm.rope_tables(positions, model.d_model // model.num_heads, model.rope_theta)
        return (lambda x: attn(x, rotations=rotations)), (lambda qk: lm.rotate_pairs(qk, rotations))
    # Before: angles, cos and sin recomputed in each call, q and k rotated one after the other.
    return (lambda x: attn(x, positions)), (lambda qk: torch.stack(
        [lm.apply_rope(qk[0], positions, model.rope_theta), lm.apply_rope(qk[1], positions, model.rope_theta)]))


def profile_table(config, parts, reps: int) -> None:
    from lmtrain.data import load_tokens

    torch.manual_seed(0)
    np.random.seed(0)
    model = build_model(config)
    optimizer = parts.AdamW(model.parameters(), lr=1e-3, betas=(config.beta1, config.beta2),
                            weight_decay=config.weight_decay)
    train_tokens = load_tokens("train")
    B, T, d, L = config.batch_size, config.context_length, config.d_model, config.num_layers
    h, d_head = config.num_heads, config.d_model // config.num_heads
    layer = model.layers[0]
    ids = torch.randint(0, config.vocab_size, (B, T))
    x = torch.randn(B, T, d, requires_grad=True)
    qk = torch.randn(2, B, h, T, d_head, requires_grad=True)
    v = torch.randn(B, h, T, d_head, requires_grad=True)
    logits = torch.randn(B, T, config.vocab_size, requires_grad=True)
    targets = torch.randint(0, config.vocab_size, (B, T))
    positions = torch.arange(T)
    attention, rope = attention_and_rope(model, positions)

    pieces = [
        ("token embedding", 1, forward_backward(lambda w: F.embedding(ids, w), model.token_embeddings.weight)),
        ("RMSNorm", 2 * L + 1, forward_backward(layer.ln1, x)),
        ("attention (projections, RoPE, SDPA)", L, forward_backward(attention, x)),
        ("  of which RoPE on q and k", L, forward_backward(rope, qk)),
        ("  of which scaled_dot_product_attention", L,
         forward_backward(lambda qk, v: F.scaled_dot_product_attention(qk[0], qk[1], v, is_causal=True), qk, v)),
        ("SwiGLU feed-forward", L, forward_backward(layer.ffn, x)),
        ("lm_head", 1, forward_backward(model.lm_head, x)),
        ("loss (parts.cross_entropy)", 1, forward_backward(parts.cross_entropy, logits, targets)),
    ]
    # Gradients of the real model, for clipping and the optimizer.
    loss = parts.cross_entropy(model(ids), targets)
    loss.backward()
    pieces += [
        ("gradient clipping (parts.gradient_clipping)", 1,
         lambda: parts.gradient_clipping(model.parameters(), 1e9)),  # 1e9: measure the norm, leave the grads
        ("AdamW step (parts.AdamW)", 1, optimizer.step),
        ("get_batch + lr schedule", 1,
         lambda: (parts.get_batch(train_tokens, B, T, "cpu"),
                  parts.get_lr_cosine_schedule(500, 3e-3, 1e-4, 100, 2000))),
    ]
    step_seconds = median_seconds(training_step(model, optimizer, parts, train_tokens, config), reps)
    print(f"one training step of the {config.num_layers} x {config.num_heads} x {config.d_model} model, "
          f"batch {B} x {T} ({B * T} tokens), {torch.get_num_threads()} threads: "
          f"{step_seconds * 1e3:.1f} ms median = {B * T / step_seconds:,.0f} tokens/s")
    print(f"  {'piece (forward + backward)':<46}{'x/step':>7}{'ms/step':>9}{'share':>8}")
    explained = 0.0
    for name, count, fn in pieces:
        seconds = median_seconds(fn, reps) * count
        explained += 0.0 if name.startswith("  of which") else seconds
        print(f"  {name:<46}{count:>7}{seconds * 1e3:>9.2f}{seconds / step_seconds:>8.1%}")
    rest = step_seconds - explained
    print(f"  {'rest: residual adds, autograd, Python':<46}{'':>7}{rest * 1e3:>9.2f}{rest / step_seconds:>8.1%}")


# ---------------------------------------------------------------------------
# Candidates, each against what it would replace
# ---------------------------------------------------------------------------


def rope_recomputed(x, token_positions, theta):
    """The model's RoPE before this profile: angles, cos and sin recomputed in every call, even/odd slices."""
    d = x.shape[-1]
    inv_freq = theta ** (-torch.arange(0, d, 2, device=x.device, dtype=torch.float32) / d)
    angles = token_positions.to(torch.float32).unsqueeze(-1) * inv_freq
    cos, sin = torch.cos(angles), torch.sin(angles)
    x_even, x_odd = x[..., 0::2].float(), x[..., 1::2].float()
    return torch.stack((x_even * cos - x_odd * sin, x_even * sin + x_odd * cos), dim=-1).flatten(-2).to(x.dtype)


def attention_separate_qkv(attn, x, positions):
    """The model's attention before this profile: three projections, RoPE on q and k one by one."""
    B, T, d_model = x.shape
    h = attn.num_heads

    def split_heads(t):
        return t.view(B, T, h, d_model // h).transpose(1, 2)

    q, k, v = split_heads(attn.q_proj(x)), split_heads(attn.k_proj(x)), split_heads(attn.v_proj(x))
    q, k = rope_recomputed(q, positions, attn.rope_theta), rope_recomputed(k, positions, attn.rope_theta)
    y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    return attn.output_proj(y.transpose(1, 2).reshape(B, T, d_model))


def rms_norm_sqrt_div(x, weight, eps=1e-5):
    """RMSNorm as the model wrote it before: sqrt, then a division."""
    x32 = x.float()
    rms = torch.sqrt(x32.pow(2).mean(dim=-1, keepdim=True) + eps)
    return (x32 / rms * weight).to(x.dtype)


class HandWrittenRMSNorm(torch.autograd.Function):
    """RMSNorm with its gradient written out (4 kernels forward, 7 backward, one autograd node):
    ``grad_x = r * (g - x_hat * mean(g * x_hat))`` with ``g = grad * weight``, ``x_hat = x * r``."""

    @staticmethod
    def forward(ctx, x, weight, eps):
        inv_rms = torch.linalg.vector_norm(x, dim=-1, keepdim=True).square_().div_(x.shape[-1]).add_(eps).rsqrt_()
        normed = x * inv_rms
        ctx.save_for_backward(normed, inv_rms, weight)
        return normed * weight

    @staticmethod
    def backward(ctx, grad):
        normed, inv_rms, weight = ctx.saved_tensors
        g = grad * weight
        mean_dot = torch.linalg.vecdot(g, normed, dim=-1).unsqueeze(-1).div_(normed.shape[-1])
        grad_x = torch.addcmul(g, normed, mean_dot, value=-1).mul_(inv_rms)
        return grad_x, (grad * normed).flatten(0, -2).sum(0), None


def candidates(config, parts, reps: int) -> None:
    from lmtrain.data import load_tokens

    B, T, d = config.batch_size, config.context_length, config.d_model
    h, d_head = config.num_heads, config.d_model // config.num_heads
    try:
        from lmtrain.model import rope_tables, rotate_pairs
    except ImportError:  # an lmtrain from before this profile: the table above is all it can show
        print("\ncandidates: skipped, this lmtrain has no cached RoPE tables to compare against")
        return

    torch.manual_seed(0)
    model = build_model(config)
    attn = model.layers[0].attn
    qk = torch.randn(2, B, h, T, d_head, requires_grad=True)
    positions = torch.arange(T)
    rotations = rope_tables(positions, d_head, config.rope_theta)
    x = torch.randn(B, T, d, requires_grad=True)
    weight = torch.ones(d, requires_grad=True)

    report = functools.partial(report_pair, reps=reps)

    print(f"\ncandidates, A and B alternating in one process ({torch.get_num_threads()} threads):")
    print(f"  {'A -> B':<64}{'A (us)':>9}{'B (us)':>9}{'B/A':>8}")
    report("RoPE on q, k fwd+bwd: recomputed, even/odd slices -> cached, complex",
           forward_backward(lambda qk: torch.stack([rope_recomputed(qk[0], positions, config.rope_theta),
                                                    rope_recomputed(qk[1], positions, config.rope_theta)]), qk),
           forward_backward(lambda qk: rotate_pairs(qk, rotations), qk))
    report("attention fwd+bwd: 3 projections, RoPE twice -> fused qkv, RoPE once",
           forward_backward(lambda x: attention_separate_qkv(attn, x, positions), x),
           forward_backward(lambda x: attn(x, rotations=rotations), x))
    report("RMSNorm fwd+bwd: sqrt and divide -> rsqrt and multiply",
           forward_backward(lambda x: rms_norm_sqrt_div(x, weight), x),
           forward_backward(model.layers[0].ln1, x))
    report("RMSNorm fwd+bwd: rsqrt and multiply -> F.rms_norm",
           forward_backward(model.layers[0].ln1, x),
           forward_backward(lambda x: F.rms_norm(x, (d,), model.layers[0].ln1.weight, 1e-5), x))
    report("RMSNorm fwd+bwd: rsqrt and multiply -> aten._fused_rms_norm",
           forward_backward(model.layers[0].ln1, x),
           forward_backward(lambda x: torch.ops.aten._fused_rms_norm(x, [d], model.layers[0].ln1.weight, 1e-5)[0], x))
    report("RMSNorm fwd+bwd: rsqrt and multiply -> gradient written by hand",
           forward_backward(model.layers[0].ln1, x),
           forward_backward(lambda x: HandWrittenRMSNorm.apply(x, model.layers[0].ln1.weight, 1e-5), x))
    report("RMSNorm fwd+bwd -> F.layer_norm (one fused kernel each way)",
           forward_backward(model.layers[0].ln1, x),
           forward_backward(lambda x: F.layer_norm(x, (d,), model.layers[0].ln1.weight, None, 1e-5), x))
    norm_step = training_step(model, parts.AdamW(model.parameters(), lr=1e-3), parts, load_tokens("train"), config)
    original_forward = type(model.layers[0].ln1).forward

    def hand_written_norms():
        type(model.layers[0].ln1).forward = lambda self, x: HandWrittenRMSNorm.apply(x, self.weight, self.eps)
        try:
            norm_step()
        finally:
            type(model.layers[0].ln1).forward = original_forward

    report("training step: autograd's RMSNorm -> the hand-written gradient", norm_step, hand_written_norms)
    logits = torch.randn(B, T, config.vocab_size)
    report("logits.float() of float32 logits -> the logits as they are",
           lambda: parts.cross_entropy(logits.float(), torch.zeros(B, T, dtype=torch.long)),
           lambda: parts.cross_entropy(logits, torch.zeros(B, T, dtype=torch.long)))
    ids = torch.zeros(B, T, dtype=torch.long)
    report("x.to(device, torch.long) of a CPU int64 batch -> nothing",
           lambda: ids.to("cpu", torch.long), lambda: ids)

    # Evaluation: tokens per second of the forward pass over validation windows.
    val = load_tokens("val")
    windows = torch.from_numpy(np.asarray(val[: 512 * T], dtype=np.int64)).view(512, T)

    def evaluate_with(context, batch):
        def run():
            with context():
                for start in range(0, len(windows), batch):
                    model(windows[start:start + batch])
        return run

    report("evaluation of 512 windows: no_grad, batch 128 -> inference_mode, 128",
           evaluate_with(torch.no_grad, 128), evaluate_with(torch.inference_mode, 128))
    report("evaluation of 512 windows: inference_mode, batch 128 -> 512",
           evaluate_with(torch.inference_mode, 128), evaluate_with(torch.inference_mode, 512))

    train_tokens = load_tokens("train")
    optimizer = parts.AdamW(model.parameters(), lr=1e-3, betas=(config.beta1, config.beta2),
                            weight_decay=config.weight_decay)
    step = training_step(model, optimizer, parts, train_tokens, config)
    threads = torch.get_num_threads()

    def with_threads(n):
        def run():
            torch.set_num_threads(n)
            step()
            torch.set_num_threads(threads)
        return run

    if threads > 1:
        report(f"training step: {threads} threads -> 1 thread", with_threads(threads), with_threads(1))


def compile_comparison(config, parts, reps: int) -> None:
    """torch.compile of the model alone (the student's parts stay eager): compile time and step time.
    Inductor keeps what it compiled on disk; set TORCHINDUCTOR_CACHE_DIR to an empty folder to time a
    first compile as a fresh machine sees it."""
    from lmtrain.data import load_tokens

    train_tokens = load_tokens("train")
    torch.manual_seed(0)
    model = build_model(config)
    optimizer = parts.AdamW(model.parameters(), lr=1e-3, betas=(config.beta1, config.beta2),
                            weight_decay=config.weight_decay)
    compiled = torch.compile(model)
    tick = time.perf_counter()
    training_step(compiled, optimizer, parts, train_tokens, config)()
    print(f"\ntorch.compile: the first step (compilation) took {time.perf_counter() - tick:.1f} s")
    report_pair("training step: eager model -> torch.compile(model)",
                training_step(model, optimizer, parts, train_tokens, config),
                training_step(compiled, optimizer, parts, train_tokens, config), reps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20, help="timed repetitions per measurement (median)")
    parser.add_argument("--compile", action="store_true", help="also measure torch.compile of the model")
    parser.add_argument("--compile-only", action="store_true", help="only measure torch.compile of the model")
    args = parser.parse_args()
    config = make_config("cpu")
    parts = load_parts()
    print(f"parts: {', '.join(sorted(set(parts.origin.values())))}; torch {torch.__version__}")
    if not args.compile_only:
        profile_table(config, parts, args.reps)
        candidates(config, parts, args.reps)
    if args.compile or args.compile_only:
        compile_comparison(config, parts, args.reps)


if __name__ == "__main__":
    main()
