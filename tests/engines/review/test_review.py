"""The change-review engine on a small pull request (tests/fixtures/review)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ekstwin.engines.review import Area, ChangeKind, PlatformDiff, diff_platforms, exceeds
from ekstwin.findings import Confidence, Finding, ObjectRef, Severity
from ekstwin.loaders import load
from ekstwin.model.selectors import parse_calico_selector
from tests.fixtures.review.head import BASE, write_head

PROTECT = parse_calico_selector("tier == 'protected'")


@pytest.fixture(scope="module")
def sides(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, object]:
    head_dir = write_head(tmp_path_factory.mktemp("review") / "head")
    return load([str(BASE)]).platform, load([str(head_dir)]).platform


def _rows(diff: PlatformDiff) -> list[tuple[str, str, str]]:
    return [(c.area.value, c.kind.value, c.summary) for c in diff.changes]


def test_reports_exactly_the_pull_requests_changes(sides: tuple[object, object]) -> None:
    base, head = sides
    diff = diff_platforms(base, head, protect=PROTECT)  # type: ignore[arg-type]
    grants = [
        "read-secrets",
        "list-secrets",
        "create-pods",
        "exec-pods",
        "impersonate-serviceaccounts",
        "create-serviceaccount-tokens",
    ]
    assert _rows(diff) == [
        (
            "reachability",
            "opened",
            "shop/frontend -> payments/db opened: now allows TCP:5432",
        ),
        *(
            ("kubernetes-access", "gained", f"group contractors gained {g} in namespace payments")
            for g in grants
        ),
        (
            "alb",
            "added",
            "HTTP:80 host-header shop.example.com; path-pattern /basket | /basket/*: new rule "
            "on ALB shop/web priority 1, forward to shop/frontend:http",
        ),
        (
            "alb",
            "removed",
            "HTTP:80 host-header shop.example.com; path-pattern /cart | /cart/*: no longer "
            "routed by ALB shop/web (was priority 1, forward to shop/frontend:http)",
        ),
    ]
    opened = diff.in_area(Area.REACHABILITY)[0]
    assert opened.protected and opened.namespace == "payments"
    # the rule that opens it (head) and the one that denied it before (base), with lines
    assert any(
        "allowed by NetworkPolicy payments/db-ingress" in b and "platform.yaml:111" in b
        for b in opened.because
    ), opened.because
    assert any(b.startswith("before TCP/5432: ingress deny") for b in opened.because)
    binding = diff.in_area(Area.KUBERNETES_ACCESS)[0]
    assert binding.because[0].startswith(
        "Group contractors -> RoleBinding payments/contractors-edit -> ClusterRole edit"
    )


def test_no_change_is_an_empty_diff(sides: tuple[object, object]) -> None:
    base, _ = sides
    diff = diff_platforms(base, base)  # type: ignore[arg-type]
    assert diff.is_empty and diff.changes == ()


def test_the_reverse_change_closes_and_loses(sides: tuple[object, object]) -> None:
    base, head = sides
    diff = diff_platforms(head, base)  # type: ignore[arg-type]
    kinds = {(c.area, c.kind) for c in diff.changes}
    assert kinds == {
        (Area.REACHABILITY, ChangeKind.CLOSED),
        (Area.KUBERNETES_ACCESS, ChangeKind.LOST),
        (Area.ALB, ChangeKind.ADDED),
        (Area.ALB, ChangeKind.REMOVED),
    }


def _finding(check: str, name: str, severity: Severity) -> Finding:
    return Finding(
        check,
        "title",
        severity,
        Confidence.HIGH,
        ObjectRef("Deployment", name, "shop"),
        "message",
        None,
    )


def test_findings_are_matched_by_fingerprint(sides: tuple[object, object]) -> None:
    base, _ = sides
    kept = _finding("ECR001", "a", Severity.LOW)
    fixed = _finding("ECR002", "b", Severity.HIGH)
    new = _finding("ECR002", "c", Severity.MEDIUM)
    diff = diff_platforms(
        base,  # type: ignore[arg-type]
        base,  # type: ignore[arg-type]
        base_findings=[kept, fixed],
        head_findings=[kept, new],
    )
    assert diff.new_findings == (new,)
    assert diff.fixed_findings == (fixed,)
    assert diff.unchanged_findings == 1
    assert [(c.kind, c.subject) for c in diff.changes] == [
        (ChangeKind.NEW, "Deployment/shop/c"),
        (ChangeKind.FIXED, "Deployment/shop/b"),
    ]
    assert exceeds(diff, Severity.MEDIUM)
    assert not exceeds(diff, Severity.HIGH)  # the high one was fixed, not added
    assert not exceeds(diff, None)


def test_protected_namespaces_fail_the_review(sides: tuple[object, object]) -> None:
    base, head = sides
    guarded = diff_platforms(base, head, protect=PROTECT)  # type: ignore[arg-type]
    assert exceeds(guarded, Severity.CRITICAL)  # no finding, but payments is opened
    open_diff = diff_platforms(base, head)  # type: ignore[arg-type]
    assert not any(c.protected for c in open_diff.changes)
    assert not exceeds(open_diff, Severity.CRITICAL)
    shop_only = diff_platforms(
        base,  # type: ignore[arg-type]
        head,  # type: ignore[arg-type]
        protect=parse_calico_selector("kubernetes.io/metadata.name == 'shop'"),
    )
    assert not exceeds(shop_only, Severity.CRITICAL)


def test_json_shape(sides: tuple[object, object], tmp_path: Path) -> None:
    import json

    import jsonschema

    base, head = sides
    doc = diff_platforms(base, head).to_json()  # type: ignore[arg-type]
    schema = json.loads(
        (Path(__file__).parents[3] / "src" / "ekstwin" / "schemas" / "diff.schema.json").read_text(
            encoding="utf-8"
        )
    )
    jsonschema.validate(doc, schema)
    assert doc["summary"] == {
        "reachability": {"opened": 1},
        "kubernetes-access": {"gained": 6},
        "alb": {"added": 1, "removed": 1},
    }


DEMO = Path(__file__).parents[3] / "examples" / "demo-platform"


def test_capacity_and_storage_changes_on_the_demo(tmp_path: Path) -> None:
    """Raising a node group's maximum size narrows its subnet at that size; running
    kafka on one replica puts every volume in one zone."""
    import json
    import shutil

    head = tmp_path / "head"
    shutil.copytree(DEMO, head)
    aws_path = head / "aws.json"
    aws = json.loads(aws_path.read_text(encoding="utf-8"))
    (batch,) = [
        g
        for account in aws["accounts"]
        for cluster in account.get("eks", {}).get("clusters", [])
        for g in cluster["node_groups"]
        if g["name"] == "batch"
    ]
    batch["scaling"]["max"] *= 2
    aws_path.write_text(json.dumps(aws), encoding="utf-8")
    kafka = head / "k8s" / "databases" / "redis-kafka.yaml"
    text = kafka.read_text(encoding="utf-8")
    name_at = text.index("kind: StatefulSet\n    metadata:\n      name: kafka")
    replicas_at = text.index("replicas: 3", name_at)
    kafka.write_text(text[:replicas_at] + "replicas: 1" + text[replicas_at + 11 :], "utf-8")

    diff = diff_platforms(load([str(DEMO)]).platform, load([str(head)]).platform)
    rows = [
        (c.area.value, c.kind.value, c.summary)
        for c in diff.changes
        if c.area in (Area.CAPACITY, Area.STORAGE)
    ]
    assert rows == [
        (
            "capacity",
            "narrowed",
            "subnet subnet-04ac22710202d47d8 (198.18.64.0/24, eu-west-1a) at the node groups' "
            "maximum size: 189 -> 126 free of 251",
        ),
        (
            "storage",
            "narrowed",
            "StatefulSet databases/kafka: volumes in eu-west-1a, eu-west-1b -> eu-west-1a",
        ),
    ]


def test_strict_mtls_shows_the_scrapes_it_breaks(tmp_path: Path) -> None:
    """orders' PeerAuthentication PERMISSIVE -> STRICT: Prometheus, outside the mesh,
    loses port 9090 of both orders workloads; nothing else changes in the mesh."""
    import shutil

    head = tmp_path / "head"
    shutil.copytree(DEMO, head)
    mesh = head / "k8s" / "orders" / "mesh.yaml"
    text = mesh.read_text(encoding="utf-8")
    assert text.count("mode: PERMISSIVE") == 1
    mesh.write_text(text.replace("mode: PERMISSIVE", "mode: STRICT"), encoding="utf-8")
    diff = diff_platforms(load([str(DEMO)]).platform, load([str(head)]).platform)
    changes = diff.in_area(Area.MESH)
    assert [(c.kind.value, c.summary) for c in changes] == [
        ("narrowed", f"monitoring/prometheus -> orders/{w}: the mesh now refuses TCP 9090")
        for w in ("orders-api", "orders-consumer")
    ]
    assert all(c.because[0].startswith("after TCP/9090: plaintext-to-strict") for c in changes)
    assert all("orders/default" in c.because[0] for c in changes)
    assert not diff.in_area(Area.REACHABILITY)  # the network did not change
