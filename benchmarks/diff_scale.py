"""``ekstwin diff`` at scale: two 2,000-pod platforms a handful of objects apart.

Target (issue "change review"): the diff of two 2,000-pod platforms with a few
changed objects takes at most 2x one ``analyze`` of one of them. Both are timed
as whole commands (process start to exit), best of --runs, and printed side by
side with the ratio and the peak memory of each.

    .venv/bin/python benchmarks/diff_scale.py [--pods 2000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from net_scale import generate


def changed(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pull request: one namespace opened to every pod, a RoleBinding, a new pod."""
    ns = "ns001"
    extra: list[dict[str, Any]] = [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "allow-all-in", "namespace": ns},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "contractors-edit", "namespace": ns},
            "subjects": [
                {"kind": "Group", "name": "contractors", "apiGroup": "rbac.authorization.k8s.io"}
            ],
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "edit",
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "newcomer", "namespace": ns, "labels": {"app": "newcomer"}},
            "spec": {"containers": [{"name": "c", "image": "busybox:1"}]},
            "status": {"podIP": "198.19.254.250"},
        },
    ]
    return docs + extra


def timed(argv: list[str], runs: int) -> tuple[float, float, int]:
    """Best wall time over ``runs``, the peak RSS (MiB) of the children, and the exit code."""
    best = float("inf")
    code = 0
    for _ in range(runs):
        start = time.perf_counter()
        code = subprocess.run(argv, stdout=subprocess.DEVNULL, check=False).returncode
        best = min(best, time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return best, peak, code


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pods", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base_docs = generate(args.pods)
        base, head = Path(tmp) / "base.json", Path(tmp) / "head.json"
        base.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": base_docs}))
        head.write_text(
            json.dumps({"apiVersion": "v1", "kind": "List", "items": changed(base_docs)})
        )
        py = [sys.executable, "-m", "ekstwin"]
        t_analyze, m_analyze, c1 = timed([*py, "analyze", str(base), "-q"], args.runs)
        t_diff, m_diff, c2 = timed([*py, "diff", str(base), str(head), "-q"], args.runs)
        summary = subprocess.run(
            [*py, "diff", str(base), str(head), "-q", "-f", "json"],
            capture_output=True, text=True, check=False,
        ).stdout  # fmt: skip
    counts = json.loads(summary)["summary"] if summary else {}
    print(f"platform: {args.pods} pods, {len(base_docs)} objects; head adds 3 objects")
    print(f"changes found: {counts}")
    print(f"{'command':10} {'best wall s':>12} {'peak MiB':>9} {'exit':>5}")
    print(f"{'analyze':10} {t_analyze:12.2f} {m_analyze:9.0f} {c1:5}")
    print(f"{'diff':10} {t_diff:12.2f} {m_diff:9.0f} {c2:5}")
    ratio = t_diff / t_analyze
    print(f"diff / analyze = {ratio:.2f}x (target <= 2.0x): {'met' if ratio <= 2 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
