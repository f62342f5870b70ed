"""The storage plan on the demo platform, and ``ekstwin storage plan``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ekstwin.cli.main import main
from ekstwin.engines.storage import EbsParameters, storage_plan
from ekstwin.loaders import load
from ekstwin.model.k8s import Meta, StorageClass
from ekstwin.model.source import Source

DEMO = Path(__file__).resolve().parents[3] / "examples" / "demo-platform"


def summary(lose_az: str | None) -> dict[str, list[tuple[str, str, tuple[str, ...], str]]]:
    plan = storage_plan(load([str(DEMO)]).platform, lose_az)
    return {
        f"{s.namespace}/{s.name}": [
            (r.pod, r.status.value, tuple(z for v in r.volumes for z in v.zones),
             ",".join(v.basis.value for v in r.volumes))
            for r in s.replica_plans
        ]
        for s in plan.statefulsets
    }  # fmt: skip


def test_demo_plan_places_wait_for_first_consumer_volumes_round_robin() -> None:
    assert summary(None) == {
        "argocd/argocd-application-controller": [
            ("argocd-application-controller-0", "ok", (), ""),
        ],
        "databases/kafka": [
            ("kafka-0", "ok", ("eu-west-1a",), "predicted"),
            ("kafka-1", "ok", ("eu-west-1b",), "predicted"),
            ("kafka-2", "ok", ("eu-west-1a",), "predicted"),
        ],
        "databases/postgres-orders": [
            ("postgres-orders-0", "ok", ("eu-west-1a",), "predicted"),
            ("postgres-orders-1", "ok", ("eu-west-1b",), "predicted"),
        ],
        "databases/postgres-payments": [
            ("postgres-payments-0", "at-risk", ("eu-west-1a", "eu-west-1b", "eu-west-1c"),
             "unpinned"),
            ("postgres-payments-1", "at-risk", ("eu-west-1a", "eu-west-1b", "eu-west-1c"),
             "unpinned"),
        ],
        "databases/redis": [
            ("redis-0", "ok", ("eu-west-1a",), "predicted"),
            ("redis-1", "ok", ("eu-west-1b",), "predicted"),
            ("redis-2", "ok", ("eu-west-1c",), "predicted"),
        ],
        "monitoring/prometheus": [
            ("prometheus-0", "ok", ("eu-west-1a",), "predicted"),
            ("prometheus-1", "ok", ("eu-west-1b",), "predicted"),
        ],
    }  # fmt: skip


def test_demo_losing_an_az_names_the_replicas_that_cannot_come_back() -> None:
    plan = storage_plan(load([str(DEMO)]).platform, "eu-west-1a")
    lost = {
        r.pod: r.reason
        for s in plan.statefulsets
        for r in s.replica_plans
        if r.status.value == "cannot-run"
    }
    assert lost == {
        f"{pod}": f"its volume data-{pod} lives in eu-west-1a (predicted), which is lost; "
        "an EBS volume cannot move to another AZ"
        for pod in ("kafka-0", "kafka-2", "postgres-orders-0", "redis-0", "prometheus-0")
    }
    quorum = {f"{s.namespace}/{s.name}": (s.available, s.quorum, s.loses_quorum)
              for s in plan.statefulsets}  # fmt: skip
    assert quorum == {
        "argocd/argocd-application-controller": (1, 1, False),
        "databases/kafka": (1, 2, True),
        "databases/postgres-orders": (1, 2, True),
        "databases/postgres-payments": (0, 2, True),
        "databases/redis": (2, 2, False),
        "monitoring/prometheus": (1, 2, True),
    }


def test_cli_plan_lose_az_exits_1_and_reports_quorum(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["storage", "plan", str(DEMO), "--lose-az", "eu-west-1a", "-q", "-f", "json"])
    assert code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["lose_az"] == "eu-west-1a"
    kafka = next(s for s in out["statefulsets"] if s["name"] == "kafka")
    assert [r["status"] for r in kafka["replicas_plan"]] == ["cannot-run", "ok", "cannot-run"]
    assert kafka["loses_quorum"] is True


def test_cli_plan_table_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["storage", "plan", str(DEMO), "--lose-az", "eu-west-1a", "-q"]) == 1
    out = capsys.readouterr().out
    assert "  LOSES QUORUM: 1 of 3 replica(s) can run, majority is 2" in out
    assert (
        "  kafka-0                            cannot-run its volume data-kafka-0 lives in "
        "eu-west-1a (predicted), which is lost; an EBS volume cannot move to another AZ"
    ) in out


def test_cli_plan_refuses_an_unknown_zone(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["storage", "plan", str(DEMO), "--lose-az", "eu-west-1z", "-q"]) == 2
    assert capsys.readouterr().err == (
        "error: --lose-az eu-west-1z: no node of the platform is in that zone "
        "(zones: eu-west-1a, eu-west-1b, eu-west-1c)\n"
    )


def test_ebs_parameters_are_case_insensitive_with_driver_defaults() -> None:
    meta = Meta("storage.k8s.io/v1", "StorageClass", "x", None, Source("x.yaml", 1))
    sc = StorageClass(
        meta, "ebs.csi.aws.com", {"KmsKeyId": "arn:k", "Encrypted": "True", "fsType": "xfs"}
    )
    assert EbsParameters.of(sc) == EbsParameters(
        type="gp3", encrypted=True, encrypted_raw="True", kms_key_id="arn:k", fs_type="xfs"
    )


APP_STATEFULSET = """\
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: gp3}
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: "postgres:16"}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec: {storageClassName: gp3, accessModes: [ReadWriteOnce]}
"""


def test_without_nodes_where_a_replica_runs_is_unknown_not_cannot_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An application repo holds no node: the plan must not say no node matches a
    nodeSelector the StatefulSet does not even have."""
    (tmp_path / "app.yaml").write_text(APP_STATEFULSET, encoding="utf-8")
    plan = storage_plan(load([str(tmp_path)]).platform)
    assert [
        (r.pod, r.status.value, r.reason) for s in plan.statefulsets for r in s.replica_plans
    ] == [
        (
            f"db-{i}",
            "unknown",
            "the input holds no node (no Node objects, no EC2 instances of the cluster): "
            "where it can run is not known",
        )
        for i in range(2)
    ]
    assert main(["storage", "plan", str(tmp_path)]) == 0
    assert "cannot-run" not in capsys.readouterr().out
