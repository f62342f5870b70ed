"""The mesh engine against upstream test tables (tests/conformance/mesh/*.yaml)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from ekstwin.engines.mesh import decide_injection, mesh_verdict
from ekstwin.engines.mesh.peerauth import effective_mtls
from tests.conformance.suites import Case, expect, load_suite_field, load_suites
from tests.engines.conftest import Builder

SUITES = load_suites("mesh")


def _cases(name: str) -> list[Case]:
    return SUITES.get(name, [])


def _doc(kind: str, api: str, meta: dict[str, Any], **body: Any) -> dict[str, Any]:
    return {"apiVersion": api, "kind": kind, "metadata": meta, **body}


@pytest.mark.parametrize("case", _cases("istio-inject-required"), ids=lambda c: c.id)
def test_istio_inject_required(case: Case, build: Builder) -> None:
    d = case.data
    ns = d["namespace"]
    config: dict[str, Any] = {"policy": d["policy"]}
    if "never_inject" in d:
        config["neverInjectSelector"] = d["never_inject"]
    if "always_inject" in d:
        config["alwaysInjectSelector"] = d["always_inject"]
    pod_meta: dict[str, Any] = {"name": "pod", "namespace": ns}
    if d.get("labels"):
        pod_meta["labels"] = d["labels"]
    if d.get("annotations"):
        pod_meta["annotations"] = d["annotations"]
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "app:1"}]}
    if d.get("host_network"):
        spec["hostNetwork"] = True
    docs = [
        _doc("Namespace", "v1", {"name": ns, "labels": {"istio-injection": "enabled"}}),
        _doc(
            "ConfigMap",
            "v1",
            {"name": "istio-sidecar-injector", "namespace": "istio-system"},
            data={"config": yaml.safe_dump(config)},
        ),
        _doc("Pod", "v1", pod_meta, spec=spec),
    ]
    platform = build(yaml.safe_dump_all(docs))
    got = decide_injection(platform, platform.pods[0])
    expect(case, got.in_mesh, d["inject"])


@pytest.mark.parametrize("case", _cases("istio-peerauthentication-compose"), ids=lambda c: c.id)
def test_istio_peerauthentication_compose(case: Case, build: Builder) -> None:
    d = case.data
    labels: dict[str, str] = {}
    docs: list[dict[str, Any]] = [
        _doc("Namespace", "v1", {"name": "my-ns"}),
        _doc("Namespace", "v1", {"name": "root-namespace"}),
    ]
    for p in d["policies"]:
        meta: dict[str, Any] = {"name": p["name"], "namespace": p["namespace"]}
        if "created_seconds_ago" in p:
            meta["creationTimestamp"] = f"2026-01-01T00:00:0{1 - p['created_seconds_ago']}Z"
        spec: dict[str, Any] = {}
        if "selector" in p:
            spec["selector"] = p["selector"]
            labels.update(p["selector"].get("matchLabels") or {})
        if "mode" in p:
            spec["mtls"] = {} if p["mode"] is None else {"mode": p["mode"]}
        if "port_level" in p:
            spec["portLevelMtls"] = {
                str(port): ({} if mode is None else {"mode": mode})
                for port, mode in p["port_level"].items()
            }
        docs.append(_doc("PeerAuthentication", "security.istio.io/v1", meta, spec=spec))
    pod_meta: dict[str, Any] = {"name": "workload", "namespace": "my-ns"}
    if labels:
        pod_meta["labels"] = labels
    docs.append(_doc("Pod", "v1", pod_meta, spec={"containers": [{"name": "c", "image": "a:1"}]}))
    platform = build(yaml.safe_dump_all(docs))
    pod = platform.pods[0]
    got: dict[str, Any] = {"mode": effective_mtls(platform, pod, None, "root-namespace").mode.value}
    want: dict[str, Any] = {"mode": d["mode"]}
    if "ports" in d:
        got["ports"] = {
            port: effective_mtls(platform, pod, int(port), "root-namespace").mode.value
            for port in d["ports"]
        }
        want["ports"] = d["ports"]
    expect(case, got, want)


AUTHZ_CLUSTER: list[dict[str, Any]] = load_suite_field("mesh", "istio-authz", "cluster")
AUTHZ_SETS: dict[str, list[dict[str, Any]]] = load_suite_field("mesh", "istio-authz", "policy_sets")


@pytest.mark.parametrize("case", _cases("istio-authz"), ids=lambda c: c.id)
def test_istio_authz(case: Case, build: Builder) -> None:
    d = case.data
    platform = build(yaml.safe_dump_all([*AUTHZ_CLUSTER, *AUTHZ_SETS[d["policies"]]]))
    v = mesh_verdict(
        platform, d["from"], "ns1/b", d["port"], method=d.get("method"), path=d.get("path")
    )
    expect(case, v.status.value, "allowed" if d["allow"] else "refused")


@pytest.mark.parametrize("case", _cases("istio-injection-webhooks"), ids=lambda c: c.id)
def test_istio_injection_webhooks(case: Case, build: Builder) -> None:
    d = case.data
    ns = d.get("namespace", "shop")
    ns_meta: dict[str, Any] = {"name": ns}
    if d["namespace_labels"]:
        ns_meta["labels"] = d["namespace_labels"]
    pod_meta: dict[str, Any] = {"name": "pod", "namespace": ns}
    if d["pod_labels"]:
        pod_meta["labels"] = d["pod_labels"]
    if d.get("pod_annotations"):
        pod_meta["annotations"] = d["pod_annotations"]
    docs = [
        _doc("Namespace", "v1", ns_meta),
        _doc("Pod", "v1", pod_meta, spec={"containers": [{"name": "c", "image": "app:1"}]}),
    ]
    platform = build(yaml.safe_dump_all(docs))
    got = decide_injection(
        platform, platform.pods[0], namespaces_by_default=bool(d.get("namespaces_by_default"))
    )
    got_revision = got.revision if got.in_mesh else None
    expect(case, (got.in_mesh, got_revision), (d["injected"], d["revision"]))
