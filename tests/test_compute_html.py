"""data/compute.html in a real headless Chromium: its numbers equal every test vector, bad inputs show messages.

The page is driven through its URL (``compute.html#vocab_size=...``). To start the browser once
rather than once per case, a throw-away harness page loads every case in an iframe and, when all
have loaded, copies each one's ``data-output`` values and error messages into a JSON block;
``chromium --dump-dom`` prints it. A second run takes the screenshot of the GPT-2 XL preset.

Needs Debian's Chromium (``apt-get install -y chromium``); skipped, saying so, where none is found.
Regenerate the committed screenshot with ``python tests/test_compute_html.py data/compute_gpt2_xl.png``.
"""

from __future__ import annotations

import html
import json
import math
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import pytest

from chromium import chromium_or_skip, find_chromium

REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / "data" / "compute.html"
VECTORS = json.loads((Path(__file__).with_name("compute_vectors.json")).read_text(encoding="utf-8"))
INPUT_KEYS = ("vocab_size", "context_length", "num_layers", "d_model", "num_heads", "d_ff", "batch_size",
              "precision", "gpu_memory_gb", "peak_tflops", "mfu", "num_steps")
# No network on the test machines: every background service that would dial out is switched off,
# otherwise Chromium can hang waiting for it.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars"]
SCREENSHOT_SIZE = "1400,1760"

#: (URL fragment, input that must show a message, a word the message must contain)
BAD_INPUTS = [
    ("preset=small&batch_size=", "batch_size", "required"),
    ("preset=small&batch_size=-4", "batch_size", "positive"),
    ("preset=small&num_layers=0", "num_layers", "at least 1"),
    ("preset=small&num_heads=2.5", "num_heads", "whole number"),
    ("preset=xl&num_heads=24", "num_heads", "divisible"),
    ("preset=small&vocab_size=abc", "vocab_size", "not a number"),
    ("preset=small&d_ff=-3", "d_ff", "positive"),
    ("preset=small&mfu=1.5", "mfu", "cannot exceed 1"),
    ("preset=small&mfu=0", "mfu", "greater than 0"),
    ("preset=small&gpu_memory_gb=", "gpu_memory_gb", "required"),
    ("preset=small&peak_tflops=-19.5", "peak_tflops", "positive"),
    ("preset=small&num_steps=1e400", "num_steps", "not a number"),
    ("preset=small&precision=fp8", "precision", "fp32"),
]

HARNESS = """<!DOCTYPE html><html><body><pre id="results"></pre>
<div id="frames">%(frames)s</div>
<script>
window.addEventListener("load", () => {
  const results = [...document.querySelectorAll("iframe")].map((frame) => {
    const doc = frame.contentDocument;
    const outputs = {}, errors = {};
    for (const el of doc.querySelectorAll("[data-output]")) outputs[el.dataset.output] = el.dataset.value;
    for (const el of doc.querySelectorAll("[data-error]")) if (el.textContent) errors[el.dataset.error] = el.textContent;
    return { url: frame.src, outputs, errors, text: doc.body.innerText };
  });
  document.getElementById("results").textContent = JSON.stringify(results);
});
</script></body></html>"""


def run_chromium(chromium: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        return subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=timeout, check=False)


def page_url(fragment: str) -> str:
    return f"{PAGE.as_uri()}#{fragment}"


def vector_fragments(vector: dict) -> list[str]:
    """Every input spelled out; GPT-2 vectors also through their preset, as a shared link would."""
    inputs = vector["inputs"]
    fragments = [urlencode({key: inputs[key] for key in INPUT_KEYS})]
    presets = {12: "small", 24: "medium", 36: "large", 48: "xl"}
    if inputs["vocab_size"] == 50257 and inputs["d_ff"] == 4 * inputs["d_model"]:
        rest = {key: inputs[key] for key in ("batch_size", "precision", "gpu_memory_gb", "peak_tflops", "mfu", "num_steps")}
        fragments.append(urlencode({"preset": presets[inputs["num_layers"]], **rest}))
    return fragments


@pytest.fixture(scope="module")
def chromium() -> str:
    return chromium_or_skip("to test data/compute.html")


@pytest.fixture(scope="module")
def pages(chromium, tmp_path_factory) -> dict[str, dict]:
    """Fragment -> what the page showed for it (outputs, error messages, visible text)."""
    fragments = [f for v in VECTORS["vectors"] for f in vector_fragments(v)] + [f for f, _, _ in BAD_INPUTS]
    frames = "\n".join(f'<iframe src="{html.escape(page_url(f))}"></iframe>' for f in fragments)
    harness = tmp_path_factory.mktemp("compute_html") / "harness.html"
    harness.write_text(HARNESS % {"frames": frames}, encoding="utf-8")
    # The harness reads its iframes' documents: file:// pages may do so only with this flag.
    result = run_chromium(chromium, "--allow-file-access-from-files", "--virtual-time-budget=10000",
                          "--dump-dom", harness.as_uri())
    match = re.search(r'<pre id="results">(.*?)</pre>', result.stdout, re.S)
    assert match and match.group(1), f"the harness page produced no results; Chromium said:\n{result.stderr[-3000:]}"
    shown = json.loads(html.unescape(match.group(1)))
    assert len(shown) == len(fragments)
    return {fragment: page for fragment, page in zip(fragments, shown)}


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_page_shows_the_vector(pages, vector):
    for fragment in vector_fragments(vector):
        page = pages[fragment]
        assert page["errors"] == {}, f"{fragment}: valid inputs, yet the page complains: {page['errors']}"
        assert page["outputs"]["status"] == "ok", fragment
        for name, expected in vector["expected"].items():
            shown = page["outputs"].get(name)
            assert shown not in (None, ""), f"{fragment}: no value for data-output={name!r}"
            if isinstance(expected, float):
                assert math.isclose(float(shown), expected, rel_tol=1e-12), f"{fragment}: {name} {shown} != {expected}"
            else:
                assert int(shown) == expected, f"{fragment}: {name} shows {shown}, expected {expected}"
        for junk in ("NaN", "Infinity", "undefined"):
            assert junk not in page["text"], f"{fragment}: the page shows {junk!r}"


@pytest.mark.parametrize("fragment,field,word", BAD_INPUTS, ids=[f for f, _, _ in BAD_INPUTS])
def test_bad_input_shows_a_message_and_no_numbers(pages, fragment, field, word):
    page = pages[fragment]
    message = page["errors"].get(field, "")
    assert word in message.lower(), f"{fragment}: expected a message containing {word!r} next to {field}, got {page['errors']}"
    assert page["outputs"]["status"] == "invalid", fragment
    filled = {name: value for name, value in page["outputs"].items() if name != "status" and value != ""}
    assert filled == {}, f"{fragment}: outputs must stay blank while an input is invalid, got {filled}"
    for junk in ("NaN", "Infinity", "undefined"):
        assert junk not in page["text"], f"{fragment}: the page shows {junk!r}"


def take_screenshot(chromium: str, target: Path, fragment: str = "preset=xl") -> None:
    result = run_chromium(chromium, f"--window-size={SCREENSHOT_SIZE}", f"--screenshot={target}", page_url(fragment))
    assert target.exists() and target.stat().st_size > 20_000, f"no screenshot written; Chromium said:\n{result.stderr[-3000:]}"


def test_screenshot_of_gpt2_xl(chromium, tmp_path):
    target = tmp_path / "compute_gpt2_xl.png"
    take_screenshot(chromium, target)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


if __name__ == "__main__":
    browser = find_chromium()
    if browser is None:
        sys.exit("Chromium not found (Debian: apt-get install -y chromium)")
    take_screenshot(browser, Path(sys.argv[1] if len(sys.argv) > 1 else "compute_gpt2_xl.png").resolve())
    print("screenshot written")
