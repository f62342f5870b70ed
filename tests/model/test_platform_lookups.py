"""Naming a workload instead of a generated pod name (net can, mesh can, iam pod)."""

from __future__ import annotations

from ekstwin.loaders import load

TWO = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: db}}
  template: {metadata: {labels: {app: db}}, spec: {containers: [{name: c, image: "db:1"}]}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  replicas: 0
  serviceName: db
  selector: {matchLabels: {app: db-sts}}
  template: {metadata: {labels: {app: db-sts}}, spec: {containers: [{name: c, image: "db:1"}]}}
"""


def test_a_workload_is_named_by_kind_and_name_or_by_name_alone_when_unique() -> None:
    p = load(["-"], stdin_text=lambda: TWO, implied=False).platform
    pods = sorted(x.key for x in p.pods)
    assert p.workload_pod("shop/deploy/db") == (
        p.pod("shop", pods[0].split("/")[1]),
        f"Deployment/shop/db: answered for its pod {pods[0]} (2 pod(s))",
    )
    assert p.workload_pod("shop/db") == (
        None,
        "shop/db names 2 workloads: say which (shop/deployment/db, shop/statefulset/db)",
    )
    assert p.workload_pod("shop/sts/db") == (
        None,
        "StatefulSet/shop/db makes no pod (replicas: 0?)",
    )
    assert p.workload_pod("shop/widget/db")[0] is None
    assert p.workload_pod("other/deployment/db")[1].startswith("no pod and no workload")
