"""Benchmark the reference solutions of the notebooks against PyTorch's built-ins.

    python benchmarks/student_functions.py [--folder solutions|notebooks]

Prints one table: time and peak memory of ``cross_entropy`` next to
``F.cross_entropy``, one ``AdamW`` step next to ``torch.optim.AdamW(foreach=True)``,
and the memory ``get_batch`` adds while sampling from a 1 GB ``np.memmap``.
It is a report, not a test: it always exits 0 and marks each ratio against
its target. A notebook that is missing or unfinished is reported as such.

Every memory measurement runs in a fresh Python process, so one variant's
freed memory cannot flatter the next; the two variants of a timing run in one
process, taking turns, so that both see the same load on shared cores. All variants use one CPU
thread: the ratios then compare algorithms, not how many cores were free.
Times are the minimum over several repeats (the least disturbed run).
Peak memory is the process's resident-set high-water mark (VmHWM, reset
through /proc/self/clear_refs) minus its resident set just before the call.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

MiB = 1024 * 1024

# Sizes: large enough that the memory of the computation dwarfs the noise
# of the interpreter, small enough for two shared cores in well under a minute.
CE_ROWS, CE_VOCAB = 512, 50257  # a (512, 50257) float32 logits tensor is 98 MiB
ADAMW_SHAPES = [(1000, 1000)] * 10 + [(1000,)] * 10  # 10.01 M parameters
BATCH_SIZE, CONTEXT_LENGTH, GET_BATCH_CALLS = 32, 256, 200
MEMMAP_TOKENS = 512 * MiB  # uint16: a 1 GiB file (sparse: it costs no disk)

TARGETS = {  # metric -> largest acceptable value
    "cross_entropy_time": 1.3,
    "cross_entropy_memory": 1.5,
    "adamw_time": 1.5,
    "get_batch_anon_mib": 50.0,
}


# ---------------------------------------------------------------------------
# Measurement helpers (run inside the worker processes)
# ---------------------------------------------------------------------------


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where that is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_delta_mib(run) -> float:
    """Peak resident memory that ``run()`` adds, in MiB."""
    if not _reset_peak():
        return float("nan")
    before = _status_kib("VmRSS")
    run()
    return (_status_kib("VmHWM") - before) / 1024


def _interleaved_min_times(runs: dict, repeats: int) -> dict:
    """Best time of each callable, measured in turns (A B A B ...).

    Taking turns spreads any change in the machine's load over all variants
    alike, which matters on shared cores more than the number of repeats.
    """
    for run in runs.values():
        run()  # warm-up: first-call allocations and lazy initialisation
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def _load(name: str, folder: str):
    from lmtrain.loader import MissingAnswerError, load_answers

    try:
        return getattr(load_answers([name], folder), name)
    except MissingAnswerError as exc:
        return str(exc).splitlines()[0]


# ---------------------------------------------------------------------------
# Workers: each prints one JSON object on stdout
# ---------------------------------------------------------------------------


def _cross_entropy_inputs():
    import torch

    g = torch.Generator().manual_seed(0)
    logits = torch.randn(CE_ROWS, CE_VOCAB, generator=g).requires_grad_()
    targets = torch.randint(0, CE_VOCAB, (CE_ROWS,), generator=g)
    return logits, targets


def _cross_entropy_runs(fn, logits, targets) -> tuple:
    import torch

    def forward():
        with torch.no_grad():
            fn(logits, targets)

    def forward_backward():
        logits.grad = None
        fn(logits, targets).backward()

    return forward, forward_backward


def worker_cross_entropy_time(_variant: str, folder: str, _path: str) -> dict:
    import torch.nn.functional as F

    answer = _load("cross_entropy", folder)
    if isinstance(answer, str):
        return {"missing": answer}
    logits, targets = _cross_entropy_inputs()
    runs = {}
    for variant, fn in (("reference", answer), ("torch", F.cross_entropy)):
        runs[f"{variant}_forward_s"], runs[f"{variant}_forward_backward_s"] = _cross_entropy_runs(fn, logits, targets)
    return _interleaved_min_times(runs, repeats=4)


def worker_cross_entropy_memory(variant: str, folder: str, _path: str) -> dict:
    import torch.nn.functional as F

    fn = F.cross_entropy if variant == "torch" else _load("cross_entropy", folder)
    if isinstance(fn, str):
        return {"missing": fn}
    logits, targets = _cross_entropy_inputs()
    forward, forward_backward = _cross_entropy_runs(fn, logits, targets)
    forward_backward()  # warm-up; also allocates logits.grad's first copy, freed below
    logits.grad = None
    return {"forward_mib": _peak_delta_mib(forward), "forward_backward_mib": _peak_delta_mib(forward_backward)}


def worker_adamw_time(_variant: str, folder: str, _path: str) -> dict:
    import torch

    cls = _load("AdamW", folder)
    if isinstance(cls, str):
        return {"missing": cls}
    hyper = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    steps = {}
    for variant in ("reference", "torch"):
        g = torch.Generator().manual_seed(0)
        params = [torch.nn.Parameter(torch.randn(shape, generator=g)) for shape in ADAMW_SHAPES]
        for p in params:
            p.grad = torch.randn(p.shape, generator=g)
        optimizer = torch.optim.AdamW(params, foreach=True, **hyper) if variant == "torch" else cls(params, **hyper)
        steps[f"{variant}_step_s"] = optimizer.step  # the warm-up step creates the moment estimates
    result = _interleaved_min_times(steps, repeats=8)
    result["parameters"] = sum(p.numel() for p in params)
    return result


def worker_get_batch(_variant: str, folder: str, path: str) -> dict:
    import numpy as np

    fn = _load("get_batch", folder)
    if isinstance(fn, str):
        return {"missing": fn}
    dataset = np.memmap(path, dtype=np.uint16, mode="r")
    # Anonymous memory (RssAnon) is what a copy of the data costs. File-backed
    # pages (RssFile) are the memmap's pages the kernel mapped in while reading:
    # shared page cache that it can drop at any time, reported for information.
    anon_before, file_before = _status_kib("RssAnon"), _status_kib("RssFile")
    peak_anon = anon_before
    done = threading.Event()

    def sample():  # a copy may live only inside one call, so poll during the calls
        nonlocal peak_anon
        while not done.is_set():
            peak_anon = max(peak_anon, _status_kib("RssAnon"))
            time.sleep(0.0005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    for _ in range(GET_BATCH_CALLS):
        x, y = fn(dataset, BATCH_SIZE, CONTEXT_LENGTH, "cpu")
        peak_anon = max(peak_anon, _status_kib("RssAnon"))
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    return {
        "anon_mib": (peak_anon - anon_before) / 1024,
        "file_mib": (_status_kib("RssFile") - file_before) / 1024,
        "call_ms": 1000 * elapsed / GET_BATCH_CALLS,
        "shape": list(x.shape),
    }


WORKERS = {
    "cross_entropy_time": worker_cross_entropy_time,
    "cross_entropy_memory": worker_cross_entropy_memory,
    "adamw_time": worker_adamw_time,
    "get_batch": worker_get_batch,
}


def run_worker(task: str, variant: str, folder: str, path: str = "") -> dict:
    """Run one measurement in a fresh process and return its JSON result."""
    cmd = [sys.executable, __file__, "--worker", task, variant, "--folder", folder, "--path", path]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    if proc.returncode != 0:
        return {"missing": f"worker failed: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def _verdict(value: float, target_key: str) -> str:
    limit = TARGETS[target_key]
    if value != value:  # NaN: not measurable here
        return "n/a"
    return f"{'ok  ' if value <= limit else 'OVER'} (<= {limit:g})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", default="solutions", help="'solutions' (reference) or 'notebooks' (your answers)")
    parser.add_argument("--worker", nargs=2, metavar=("TASK", "VARIANT"), help=argparse.SUPPRESS)
    parser.add_argument("--path", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        import torch

        torch.set_num_threads(1)
        task, variant = args.worker
        print(json.dumps(WORKERS[task](variant, args.folder, args.path)))
        return

    rows: list[tuple[str, str, str, str, str]] = []  # what, answer, built-in, ratio, verdict
    missing: list[str] = []

    times = run_worker("cross_entropy_time", "both", args.folder)
    if "missing" in times:
        missing.append(f"cross_entropy: {times['missing']}")
    else:
        memory = {v: run_worker("cross_entropy_memory", v, args.folder) for v in ("reference", "torch")}
        for key, label in (("forward", "cross_entropy forward"), ("forward_backward", "cross_entropy fwd+bwd")):
            ref_s, base_s = times[f"reference_{key}_s"], times[f"torch_{key}_s"]
            rows.append((f"{label} time", f"{ref_s * 1000:8.1f} ms", f"{base_s * 1000:8.1f} ms",
                         f"{ref_s / base_s:5.2f}x", _verdict(ref_s / base_s, "cross_entropy_time")))
        for key, label in (("forward", "cross_entropy forward"), ("forward_backward", "cross_entropy fwd+bwd")):
            ref_m, base_m = memory["reference"][f"{key}_mib"], memory["torch"][f"{key}_mib"]
            rows.append((f"{label} peak memory", f"{ref_m:8.1f} MiB", f"{base_m:8.1f} MiB",
                         f"{ref_m / base_m:5.2f}x", _verdict(ref_m / base_m, "cross_entropy_memory")))

    times = run_worker("adamw_time", "both", args.folder)
    if "missing" in times:
        missing.append(f"AdamW: {times['missing']}")
    else:
        ref_s, base_s = times["reference_step_s"], times["torch_step_s"]
        rows.append((f"AdamW step, {times['parameters'] / 1e6:.1f} M params", f"{ref_s * 1000:8.1f} ms",
                     f"{base_s * 1000:8.1f} ms", f"{ref_s / base_s:5.2f}x", _verdict(ref_s / base_s, "adamw_time")))

    with tempfile.TemporaryDirectory() as tmp:
        import numpy as np

        path = os.path.join(tmp, "tokens.bin")
        np.memmap(path, dtype=np.uint16, mode="w+", shape=(MEMMAP_TOKENS,)).flush()  # sparse 1 GiB file
        ref = run_worker("get_batch", "reference", args.folder, path)
    if "missing" in ref:
        missing.append(f"get_batch: {ref['missing']}")
    else:
        label = f"get_batch x{GET_BATCH_CALLS} ({BATCH_SIZE}x{CONTEXT_LENGTH}), 1 GiB memmap"
        rows.append((label + ": copies (RssAnon)", f"{ref['anon_mib']:8.1f} MiB", "", "",
                     _verdict(ref["anon_mib"], "get_batch_anon_mib")))
        rows.append((label + ": mapped pages (RssFile)", f"{ref['file_mib']:8.1f} MiB", "", "", "info"))
        rows.append(("get_batch time per call", f"{ref['call_ms']:8.2f} ms", "", "", "info"))

    header = ("measurement", f"answer ({args.folder})", "PyTorch built-in", "ratio", "target")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    line = "  ".join("{:<%d}" % w for w in widths)
    print(line.format(*header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line.format(*row))
    for message in missing:
        print(f"not measured: {message}")
    print("(CPU, 1 thread per variant, times are the best of several repeats; see the module docstring)")


if __name__ == "__main__":
    main()
