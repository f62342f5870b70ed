"""The Diff tab's section at scale: the explanations are bounded (docs/web.md).

    .venv/bin/python benchmarks/web_diff_scale.py [--pods 400]

The platform is net_scale.py's generator; the old side is the same platform
without its policies, so most flows change. Prints the number of changes and
the size of the diff section as the views document sends it (the first
``CHANGE_LIMIT`` changes, the first ``WHY_LIMIT`` of them explained) next to
its size with every change listed, and with every change explained.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from net_scale import generate

from ekstwin.loaders import load
from ekstwin.web.views import CHANGE_LIMIT, WHY_LIMIT, _diff, bound_diff

POLICY_KINDS = {"NetworkPolicy", "GlobalNetworkPolicy"}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, default=400)
    args = ap.parse_args()
    docs = generate(args.pods)
    with tempfile.TemporaryDirectory() as tmp:
        for name, kept in (
            ("new", docs),
            ("old", [d for d in docs if d.get("kind") not in POLICY_KINDS]),
        ):
            (Path(tmp) / name).mkdir()
            text = yaml.safe_dump_all(kept, sort_keys=False)
            (Path(tmp) / name / "cluster.yaml").write_text(text, encoding="utf-8")
        new, old = load([str(Path(tmp) / "new")]), load([str(Path(tmp) / "old")])
    t0 = time.perf_counter()
    diff = _diff(old, new)  # the engine's net diff JSON, every change explained
    secs = time.perf_counter() - t0
    assert isinstance(diff, dict)
    total = len(diff["changes"])
    print(f"net diff: {total} changes, computed in {secs:.1f} s")
    sizes = {}
    for label, whys, changes in (
        ("sent (bounded)", WHY_LIMIT, CHANGE_LIMIT),
        ("every change, bounded why", WHY_LIMIT, total),
        ("every change explained", total, total),
    ):
        section = bound_diff(diff, whys, changes)
        sizes[label] = len(json.dumps(section, separators=(",", ":")))
        print(f"  {label:28s} {sizes[label] / 2**20:9.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
