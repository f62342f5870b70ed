"""A million trivially invalid documents: time and peak memory of ``ekstwin analyze``.

Every document lacks what makes it a Kubernetes object (no apiVersion, or a list
where an object belongs), so each one is a diagnostic. The diagnostics collector
keeps the first of each code in each file in full and counts the rest, so memory
stays bounded however many there are. Target (issue 23): 1,000,000 documents
within 1 GiB of peak RSS; before the collector they took 453 s and 4.5 GB.

The run happens in a fresh subprocess (its peak RSS is its own) and writes the
JSON report; the script then checks that listed plus counted diagnostics add up
to every document and that the exit code is 2.

    .venv/bin/python benchmarks/invalid_scale.py [--documents 1000000] [--files 100]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

TARGET_BYTES = 1024**3
BEFORE = "453 s, 4.5 GB"

_CHILD = r"""
import json, resource, sys, time
from ekstwin.cli.main import main
t0 = time.perf_counter()
code = main(["analyze", sys.argv[1], "--format", "json", "-o", sys.argv[2], "-q"])
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "peak_bytes": peak, "exit": code}))
"""


def generate(root: Path, documents: int, files: int) -> None:
    """``documents`` documents over ``files`` files: nine in ten have no apiVersion,
    one in ten is a list."""
    per_file = -(-documents // files)
    for f in range(files):
        n = min(per_file, documents - f * per_file)
        if n <= 0:
            break
        docs = ("- item\n" if i % 10 == 9 else "kind: ConfigMap\n" for i in range(n))
        (root / f"part-{f:04d}.yaml").write_text("---\n".join(docs), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ekstwin-invalid-") as tmp:
        root = Path(tmp) / "platform"
        root.mkdir()
        generate(root, args.documents, args.files)
        size = sum(p.stat().st_size for p in root.iterdir())
        print(
            f"input: {args.documents} invalid documents in {args.files} files, {size / 1e6:.1f} MB"
        )
        out = Path(tmp) / "report.json"
        child = subprocess.run(
            [sys.executable, "-c", _CHILD, str(root), str(out)],
            check=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        report = json.loads(out.read_text(encoding="utf-8"))
        report_bytes = out.stat().st_size
    listed = len(report["diagnostics"])
    counted = sum(g["count"] for g in report["counted_diagnostics"])
    errors = report["summary"]["diagnostics"]["error"]
    complete = listed + counted == errors == args.documents and figures["exit"] == 2
    ok_mem = figures["peak_bytes"] <= TARGET_BYTES
    peak_mib = figures["peak_bytes"] / 2**20
    print(f"seconds: {figures['seconds']:.1f}   peak RSS: {peak_mib:.0f} MiB"
          f"   exit code: {figures['exit']}   report: {report_bytes / 1e6:.2f} MB")  # fmt: skip
    print(f"diagnostics: {listed} listed + {counted} counted = {listed + counted}; "
          f"summary says {errors} errors: {'complete' if complete else 'WRONG'}")  # fmt: skip
    print(f"target: peak RSS <= 1024 MiB: {'met' if ok_mem else 'MISSED'} (before: {BEFORE})")
    return 0 if ok_mem and complete else 1


if __name__ == "__main__":
    sys.exit(main())
