#!/usr/bin/env python3
# The real-browser check of the web module (run by scripts/test/web.sh): headless Chromium
# loads the demo page from a local server with ?selftest, which submits the form and runs a
# golden batch through the module; the DOM it leaves must hold the golden bits exactly.
"""usage: web_browser_check.py --base URL --chromium BIN --screenshot PNG"""

import argparse
import json
import subprocess
import sys
import tempfile
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

from golden_bits import assert_bits

ROOT = Path(__file__).resolve().parents[2]
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--virtual-time-budget=15000",
]


class Texts(HTMLParser):
    """The text of every element that has an id, and the body's data-selftest."""

    def __init__(self):
        super().__init__()
        self.by_id, self.stack, self.selftest = {}, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.selftest = attrs.get("data-selftest")
        if tag not in ("input", "br", "meta", "link", "img"):
            self.stack.append(attrs.get("id"))
            if attrs.get("id"):
                self.by_id[attrs["id"]] = ""

    def handle_endtag(self, tag):
        if self.stack and tag not in ("input", "br", "meta", "link", "img"):
            self.stack.pop()

    def handle_data(self, data):
        for element in self.stack:
            if element:
                self.by_id[element] += data


def chromium(binary, profile, *args):
    command = [binary, *FLAGS, f"--user-data-dir={profile}", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise AssertionError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", required=True, help="where web/ is served, e.g. http://127.0.0.1:8000")
    parser.add_argument("--chromium", default="chromium")
    parser.add_argument("--screenshot", required=True)
    args = parser.parse_args()

    training = json.loads((ROOT / "model_data/golden/training.json").read_text())
    picks = list(range(0, len(training["rows"]), 139))
    rows = [training["rows"][i] for i in picks]
    expected = [training["prediction"][i] for i in picks]
    url = f"{args.base}/index.html?selftest#" + urllib.parse.quote(json.dumps(rows))

    with tempfile.TemporaryDirectory() as profile:
        dom = chromium(args.chromium, profile, "--dump-dom", url)
    page = Texts()
    page.feed(dom)
    assert page.selftest == "done", f"the page's self test did not finish ({page.selftest!r}): {dom[-1500:]}"

    # The form (README sample, training scaling), as a user submits it.
    single = page.by_id.get("result", "")
    assert single == "25.0021457871835", f"form result {single!r}"
    # The batch box and the typed rows: golden bits.
    assert_bits(json.loads(page.by_id["batch-result"]), expected, "batch box")
    assert_bits(json.loads(page.by_id["rows-result"]), expected, "predictRows")
    model = page.by_id.get("model", "")
    assert model.startswith("Model boston-housing"), f"model line {model!r}"
    print(f"chromium: form -> {single}; batch of {len(rows)} golden rows exact (box and predictRows)")

    Path(args.screenshot).parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        chromium(args.chromium, profile, f"--screenshot={args.screenshot}", "--window-size=900,1100", url)
    assert Path(args.screenshot).stat().st_size > 10_000, "screenshot is suspiciously small"
    print(f"screenshot: {args.screenshot}")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as err:
        print(f"FAIL: {err}", file=sys.stderr)
        sys.exit(1)
