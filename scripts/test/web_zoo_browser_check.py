#!/usr/bin/env python3
# The browser module's zoo parity in headless Chromium (run by scripts/test/web.sh): loads
# web/test/zoo.html from a server of the repository root, which runs loadModel on every model
# of scripts/test/edge_zoo_models.json against scikit-learn's goldens; every model must pass.
"""usage: web_zoo_browser_check.py --root URL [--chromium BIN]"""

import argparse
import json
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

from web_browser_check import chromium

ROOT = Path(__file__).resolve().parents[2]


class ZooPage(HTMLParser):
    """The body's data-zoo and the text of #zoo-result."""

    def __init__(self):
        super().__init__()
        self.state, self.result, self.inside = None, "", False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.state = attrs.get("data-zoo")
        self.inside = attrs.get("id") == "zoo-result"

    def handle_endtag(self, tag):
        self.inside = False

    def handle_data(self, data):
        if self.inside:
            self.result += data


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True, help="where the repository root is served")
    parser.add_argument("--chromium", default="chromium")
    args = parser.parse_args()
    wanted = [m["model"] for m in json.loads((ROOT / "scripts/test/edge_zoo_models.json").read_text())["models"]]

    with tempfile.TemporaryDirectory() as profile:
        dom = chromium(args.chromium, profile, "--dump-dom", f"{args.root}/web/test/zoo.html")
    page = ZooPage()
    page.feed(dom)
    assert page.state == "done", f"the zoo page did not finish ({page.state!r}): {page.result[-1500:] or dom[-1500:]}"
    answer = json.loads(page.result)
    assert answer["badFileThrows"], "loadModel of a bad file did not throw an Error"
    results = answer["results"]
    assert [r["model"] for r in results] == wanted, f"models checked: {[r['model'] for r in results]}"
    failed = [f"{r['model']}: {'; '.join(r['problems'])}" for r in results if r["problems"]]
    assert not failed, "\n".join(failed)
    for r in results:
        assert r["values"] > 0, f"{r['model']}: no value compared"
        print(f"chromium: {r['model']} ({r['kind']}): {r['values']} values, {r['exact']} bit-exact")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as err:
        print(f"FAIL: {err}", file=sys.stderr)
        sys.exit(1)
