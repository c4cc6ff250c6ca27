"""The byte-level Shakespeare corpus as memory-mapped token arrays.

The committed text files ``data/shakespeare/{train,val}.txt`` are the source of
truth (see ``data/README.md``). Tokens are simply the file's bytes, so the
vocabulary has 256 entries and ``decode(encode(text)) == text`` for any text.
On first use :func:`load_tokens` writes the tokens next to the text as
``<split>.bin`` (raw little-endian uint16, the layout ``np.memmap`` and
``get_batch`` expect) and afterwards only maps that file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

__all__ = [
    "VOCAB_SIZE",
    "SPLITS",
    "CorpusError",
    "default_data_dir",
    "encode",
    "decode",
    "load_tokens",
]

VOCAB_SIZE = 256
SPLITS = ("train", "val")
# uint16 rather than uint8: the training loop and get_batch are written for
# token files of BPE vocabularies (up to 65,536 ids), and use the same dtype here.
TOKEN_DTYPE = np.dtype("<u2")
REBUILD_HINT = "Rebuild it with `python data/build_shakespeare.py` (see data/README.md)."


class CorpusError(RuntimeError):
    """The corpus text on disk is missing or is not the version recorded in SHA256SUMS."""


def default_data_dir() -> Path:
    """``data/shakespeare`` in the workbook's top folder."""
    return Path(__file__).resolve().parents[2] / "data" / "shakespeare"


def encode(text: str) -> list[int]:
    """Token ids of ``text``: its UTF-8 bytes, each in ``0 .. 255``."""
    return list(text.encode("utf-8"))


def decode(ids: Iterable[int]) -> str:
    """Text of a sequence of byte ids (list, 1-D array or tensor).

    Bytes that do not form valid UTF-8 (a sampled model can produce them)
    become U+FFFD instead of raising.
    """
    if hasattr(ids, "tolist"):
        ids = ids.tolist()
    return bytes(ids).decode("utf-8", errors="replace")


def _expected_hash(data_dir: Path, name: str) -> str:
    sums = data_dir / "SHA256SUMS"
    try:
        lines = sums.read_text(encoding="ascii").splitlines()
    except FileNotFoundError:
        raise CorpusError(f"{sums} is missing. {REBUILD_HINT}") from None
    for line in lines:
        digest, _, file_name = line.partition("  ")
        if file_name == name:
            return digest
    raise CorpusError(f"{sums} has no entry for {name}. {REBUILD_HINT}")


def _read_checked_text(data_dir: Path, split: str) -> bytes:
    path = data_dir / f"{split}.txt"
    expected = _expected_hash(data_dir, path.name)
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise CorpusError(f"{path} is missing. {REBUILD_HINT}") from None
    actual = hashlib.sha256(text).hexdigest()
    if actual != expected:
        raise CorpusError(
            f"{path} has SHA-256 {actual}, but SHA256SUMS expects {expected}: the file was "
            f"edited or damaged (line-ending conversion by git is a common cause). {REBUILD_HINT}"
        )
    return text


def _bin_matches(path: Path, text: bytes) -> bool:
    """True when ``path`` holds exactly the tokens of ``text``."""
    try:
        if path.stat().st_size != len(text) * TOKEN_DTYPE.itemsize:
            return False
        stored = np.fromfile(path, dtype=TOKEN_DTYPE)
    except OSError:
        return False
    return bool(np.array_equal(stored, np.frombuffer(text, dtype=np.uint8)))


def _write_bin_atomically(path: Path, text: bytes) -> None:
    # Write a temporary file in the same folder, then rename it over the old
    # one: a reader (or a crash) never sees a half-written token file.
    tokens = np.frombuffer(text, dtype=np.uint8).astype(TOKEN_DTYPE)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(tokens.tobytes())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_tokens(split: str, data_dir: str | Path | None = None) -> np.memmap:
    """Token ids of one split as a read-only 1-D ``np.memmap`` of dtype uint16.

    ``split`` is ``"train"`` or ``"val"``; ``data_dir`` defaults to
    :func:`default_data_dir`. The text is checked against ``SHA256SUMS``
    (:class:`CorpusError` if it differs); ``<split>.bin`` is (re)written when
    it is missing or does not hold exactly the text's bytes.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}.")
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    text = _read_checked_text(data_dir, split)
    path = data_dir / f"{split}.bin"
    if not _bin_matches(path, text):
        _write_bin_atomically(path, text)
    return np.memmap(path, dtype=TOKEN_DTYPE, mode="r")
