"""GPU report for the ``gpu`` preset: tokens/s, MFU, and peak memory next to notebook 03's accounting.

    python benchmarks/gpu_report.py [--steps 400] [--peak-tflops 989.5]

Three measurements, printed side by side:

1. Throughput of the real training loop (reference parts, bf16 autocast,
   TF32, torch.compile), and MFU = tokens/s x training FLOPs per token /
   peak FLOP/s, with the FLOPs counted by ``FlopCounterMode`` on the model.
2. Peak GPU memory of float32 training steps (no autocast), the setting
   notebook 03's ``adamw_memory`` accounts for.
3. That accounting for the same shapes, part by part. The model differs from
   the accounting's in two known ways: SwiGLU (three d x d_ff matrices; with
   d_ff = 8/3 d this has the same parameter count as 4d W1/W2) and fused
   attention, which never stores the (T x T) score matrices the accounting
   counts. Both are named in the output.

Without CUDA it runs a tiny version on the CPU so the script itself stays tested.
"""

from __future__ import annotations

import argparse
import tempfile

import torch
from torch.utils.flop_counter import FlopCounterMode

from lmtrain.config import make_config
from lmtrain.loader import load_answers
from lmtrain.parts import TrainingParts
from lmtrain.train import build_model, train

# Dense bf16 tensor-core peaks (NVIDIA data sheets, SXM parts).
PEAK_BF16_FLOPS = {"H100": 989.4e12, "H200": 989.4e12, "A100": 312e12}


def forward_flops_per_token(config) -> float:
    """Matmul FLOPs of one forward pass per token, counted on the real model."""
    model = build_model(config)
    tokens = torch.zeros(1, config.context_length, dtype=torch.long)
    with FlopCounterMode(display=False) as counter:
        model(tokens)
    return counter.get_total_flops() / config.context_length


def measure_fp32_peak_memory(config, parts: TrainingParts, steps: int = 3) -> int:
    torch.manual_seed(config.seed)
    model = build_model(config).cuda()
    optimizer = parts.AdamW(model.parameters(), lr=config.max_learning_rate)
    tokens = torch.randint(0, config.vocab_size, (config.batch_size, config.context_length + 1), device="cuda")
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=True)
        logits = model(tokens[:, :-1])
        loss = parts.cross_entropy(logits, tokens[:, 1:])
        loss.backward()
        optimizer.step()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400, help="training steps of the throughput run")
    parser.add_argument("--peak-tflops", type=float, default=0.0, help="peak bf16 TFLOP/s (default: from the GPU name)")
    args = parser.parse_args()

    cuda = torch.cuda.is_available()
    parts = TrainingParts.from_solutions()
    name = torch.cuda.get_device_name() if cuda else "cpu"
    peak = args.peak_tflops * 1e12 or next((v for k, v in PEAK_BF16_FLOPS.items() if k in name), float("nan"))
    # With and without torch.compile: at this model size the step is many small kernels, and how much
    # compile's fusion wins back is the question (the compile time itself is excluded from tokens/s).
    for compiled in (True, False) if cuda else (False,):
        with tempfile.TemporaryDirectory() as run_dir:
            if cuda:
                config = make_config("gpu", max_steps=args.steps, eval_interval=args.steps, eval_tokens=1 << 18,
                                     final_eval_tokens=1 << 18, checkpoint_interval=10 * args.steps,
                                     run_dir=run_dir, progress=False, compile=compiled)
            else:  # a smoke run of the script itself
                config = make_config("ci", max_steps=10, run_dir=run_dir, progress=False, device="cpu")
            if cuda:
                torch.cuda.reset_peak_memory_stats()
            history = train(config, parts)
        per_token = 3 * forward_flops_per_token(config)  # backward costs twice the forward
        print(f"device: {name}; preset: {'gpu' if cuda else 'ci (smoke run on CPU)'}; compile={compiled}; "
              f"{history.num_parameters:,} parameters; {config.max_steps} steps")
        print(f"throughput: {history.tokens_per_second:,.0f} tokens/s; training FLOPs per token "
              f"(FlopCounterMode, 3 x forward): {per_token:,.0f}")
        if cuda:
            print(f"peak GPU memory of the run (bf16 autocast): {torch.cuda.max_memory_allocated() / 2**20:,.0f} MiB")
        if peak == peak:  # a known (or given) peak; NaN otherwise
            print(f"MFU: {history.tokens_per_second * per_token / peak:.1%} of {peak / 1e12:.1f} TFLOP/s bf16 peak")
        else:
            print(f"MFU: not computed, no peak FLOP/s known for {name} (pass --peak-tflops)")
        print(f"validation loss after {config.max_steps} steps: {history.final_val_loss:.3f} nats/byte "
              f"(a {config.final_eval_tokens:,}-byte sample)" if cuda else
              f"validation loss after {config.max_steps} steps: {history.final_val_loss:.3f} nats/byte")
    if not cuda:
        return

    measured = measure_fp32_peak_memory(config, parts)
    accounting = load_answers(["adamw_memory"], "solutions").adamw_memory(
        config.vocab_size, config.context_length, config.num_layers, config.d_model, config.num_heads,
        config.batch_size)
    print(f"\nfloat32 training, batch {config.batch_size} x {config.context_length} "
          f"(notebook 03's adamw_memory vs torch.cuda.max_memory_allocated):")
    for key in ("parameters", "gradients", "optimizer_state", "activations", "total"):
        print(f"  accounted {key:<16} {accounting[key] / 2**20:10.1f} MiB")
    print(f"  measured peak              {measured / 2**20:10.1f} MiB  "
          f"(ratio measured / accounted total: {measured / accounting['total']:.2f})")
    print("  the accounting stores the (T x T) attention scores and probabilities per head; fused attention "
          "does not, and autograd keeps a few extra buffers (SwiGLU's gate, RoPE'd q and k).")


if __name__ == "__main__":
    main()
