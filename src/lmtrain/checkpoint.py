"""Crash-safe checkpoints of a training run, written through the student's save_checkpoint.

A checkpoint is a folder ``step_<iteration>/`` holding two files:

* ``model.pt``: written by the student's ``save_checkpoint(model, optimizer, iteration, out)``
  (model, optimizer and iteration, in whatever layout the student chose);
* ``state.pt``: this module's sidecar with everything else a bit-identical resume needs:
  the state of every random number generator, the tokens seen, the configuration and the
  SHA-256 of ``model.pt`` (so a truncated or swapped file is detected before it is used).

Both files are written into a temporary folder that is renamed to ``step_<iteration>/``
only when both are complete (a rename is atomic on POSIX and Windows), so a crash or a
failed write leaves the previous checkpoints untouched and never a half-written one.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch

__all__ = [
    "CheckpointError",
    "FORMAT",
    "capture_rng_state",
    "latest_checkpoint",
    "list_checkpoints",
    "load_training_checkpoint",
    "restore_rng_state",
    "save_training_checkpoint",
]

#: Written into every sidecar; a file without it was not written by this module.
FORMAT = "lmtrain.checkpoint/1"
_STEP_DIR = re.compile(r"^step_(\d+)$")
#: Settings that change the model's parameters: resuming with other values cannot work.
MODEL_FIELDS = ("vocab_size", "context_length", "d_model", "num_layers", "num_heads", "d_ff")


class CheckpointError(RuntimeError):
    """A checkpoint cannot be written or used; the message says why and what to do."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    """Flush a file (or folder entry) to disk, so a power cut cannot leave a renamed but empty file."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    try:
        fd = os.open(path, flags)
    except OSError:  # folders cannot be opened on Windows; nothing to flush there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------
# Random number generators
# ---------------------------------------------------------------------------


def capture_rng_state() -> dict:
    """The state of torch's (CPU and CUDA), numpy's global and Python's generators.

    Stored as tensors, ints and tuples only, so ``torch.load(weights_only=True)`` reads it.
    """
    name, keys, position, has_gauss, cached = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": {"name": name, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(position),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
        "python": random.getstate(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict) -> None:
    """Undo :func:`capture_rng_state`: every generator continues where it was captured."""
    torch.set_rng_state(state["torch"])
    saved = state["numpy"]
    np.random.set_state((saved["name"], saved["keys"].numpy().astype(np.uint32), saved["pos"],
                         saved["has_gauss"], saved["cached_gaussian"]))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def list_checkpoints(directory: str | Path) -> list[Path]:
    """Complete checkpoint folders in ``directory``, oldest first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in directory.iterdir() if p.is_dir() and (m := _STEP_DIR.match(p.name))]
    return [p for _, p in sorted(found)]


def latest_checkpoint(directory: str | Path) -> Path | None:
    """The newest complete checkpoint folder, or None."""
    found = list_checkpoints(directory)
    return found[-1] if found else None


def save_training_checkpoint(
    directory: str | Path,
    parts,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    iteration: int,
    extra: dict,
    keep: int = 2,
) -> Path:
    """Write ``step_<iteration>/`` atomically and keep only the ``keep`` newest checkpoints.

    ``parts.save_checkpoint`` writes the model, optimizer and iteration; ``extra``
    (tokens seen, configuration, ...) goes to the sidecar with the RNG states,
    which are captured here, after the step they belong to.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"step_{iteration:08d}"
    scratch = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=directory))
    try:
        model_file = scratch / "model.pt"
        parts.save_checkpoint(model, optimizer, iteration, str(model_file))
        if not model_file.is_file():
            raise CheckpointError(f"save_checkpoint did not create {model_file.name}: it must write to the path "
                                  "it is given as `out`.")
        state = {"format": FORMAT, "iteration": int(iteration), "model_sha256": _sha256(model_file),
                 "rng": capture_rng_state(), **extra}
        torch.save(state, scratch / "state.pt")
        for path in (model_file, scratch / "state.pt", scratch):
            _fsync(path)
        if final.exists():  # the same step saved again (e.g. the end of a resumed run): swap it out
            old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=directory))
            os.replace(final, old / final.name)
            os.replace(scratch, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(scratch, final)
        _fsync(directory)
    except BaseException as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        if isinstance(exc, (CheckpointError, KeyboardInterrupt, SystemExit)):
            raise
        raise CheckpointError(
            f"Writing the checkpoint of step {iteration} into {directory} failed ({type(exc).__name__}: {exc}). "
            "The previous checkpoints are untouched. Check the free disk space and that save_checkpoint "
            "writes to the path it is given."
        ) from exc
    for stale in list_checkpoints(directory)[:-keep] if keep > 0 else []:
        shutil.rmtree(stale, ignore_errors=True)
    for leftover in directory.glob(".step_*.tmp-*"):  # scratch folders of runs that were killed mid-write
        if leftover != scratch:
            shutil.rmtree(leftover, ignore_errors=True)
    return final


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


def read_state(path: str | Path) -> dict:
    """The sidecar of checkpoint folder ``path``, checked against its ``model.pt``."""
    path = Path(path)
    state_file, model_file = path / "state.pt", path / "model.pt"
    what_to_do = (f"Delete the folder {path} to resume from the previous checkpoint, or start afresh with "
                  "another --run_dir.")
    for needed in (state_file, model_file):
        if not needed.is_file():
            raise CheckpointError(f"The checkpoint {path} is incomplete: {needed.name} is missing. {what_to_do}")
    try:
        state = torch.load(state_file, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - truncated zip, pickle of foreign objects, not a torch file at all...
        raise CheckpointError(
            f"The checkpoint file {state_file} cannot be read ({type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}); "
            f"it is truncated or was not written by lmtrain. {what_to_do}"
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(
            f"The file {state_file} is not an lmtrain checkpoint (expected format {FORMAT!r}, found "
            f"{state.get('format') if isinstance(state, dict) else type(state).__name__!r}). {what_to_do}"
        )
    if _sha256(model_file) != state["model_sha256"]:
        raise CheckpointError(
            f"The checkpoint file {model_file} does not match the checkpoint it belongs to (it is truncated, or was replaced "
            f"after step {state['iteration']} was saved). {what_to_do}"
        )
    return state


def load_training_checkpoint(path: str | Path, parts, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                             config: dict | None = None) -> dict:
    """Load checkpoint folder ``path`` into ``model`` and ``optimizer``; return its sidecar.

    The RNG states are not restored here (call :func:`restore_rng_state` when
    the run is ready to continue). ``config``, when given, must describe the
    same model as the checkpoint's.
    """
    path = Path(path)
    state = read_state(path)
    saved = state.get("config", {})
    if config is not None:
        different = [f"{k}={saved[k]} in the checkpoint but {config[k]} now" for k in MODEL_FIELDS
                     if k in saved and k in config and saved[k] != config[k]]
        if different:
            raise CheckpointError(
                f"The checkpoint {path} belongs to a different model: {'; '.join(different)}. Resume with the "
                "same model settings, or start a new run with another --run_dir (or --resume false)."
            )
    try:
        iteration = parts.load_checkpoint(str(path / "model.pt"), model, optimizer)
    except Exception as exc:
        raise CheckpointError(
            f"load_checkpoint could not load {path / 'model.pt'} into this model and optimizer "
            f"({type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}). Use the same model "
            "settings and the same save_checkpoint/load_checkpoint pair as the run that wrote it."
        ) from exc
    if int(iteration) != state["iteration"]:
        raise CheckpointError(
            f"load_checkpoint returned iteration {iteration} for {path}, but the checkpoint was written at "
            f"iteration {state['iteration']}: load_checkpoint must return the iteration save_checkpoint stored."
        )
    return state
