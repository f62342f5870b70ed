"""PeerAuthentication: scopes, the oldest among equals, UNSET inheritance, port level."""

from __future__ import annotations

from ekstwin.engines.mesh import MtlsDecision, MtlsMode, effective_mtls
from ekstwin.engines.mesh.peerauth import Scope
from tests.engines.conftest import Builder

POD = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  containers: [{name: c, image: nginx:1, ports: [{containerPort: 8080}, {containerPort: 9090}]}]
"""


def pa(name: str, ns: str, spec: str, created: str | None = None) -> str:
    ts = f", creationTimestamp: '{created}'" if created else ""
    return f"""---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {{name: {name}, namespace: {ns}{ts}}}
spec: {spec}
"""


def mtls(build: Builder, *policies: str, port: int | None = 8080) -> MtlsDecision:
    platform = build(POD + "".join(policies))
    return effective_mtls(platform, platform.pods[0], port)


def brief(d: MtlsDecision) -> tuple[str, str, str | None, tuple[str, ...]]:
    return (d.mode.value, d.scope.value, d.policy, d.ignored)


def test_no_policy_means_permissive(build: Builder) -> None:
    assert mtls(build) == MtlsDecision(MtlsMode.PERMISSIVE, Scope.DEFAULT, None, None)


def test_mesh_wide_policy_in_the_root_namespace(build: Builder) -> None:
    got = mtls(build, pa("default", "istio-system", "{mtls: {mode: STRICT}}"))
    assert brief(got) == ("STRICT", "mesh", "istio-system/default", ())


def test_namespace_policy_overrides_mesh(build: Builder) -> None:
    got = mtls(
        build,
        pa("default", "istio-system", "{mtls: {mode: STRICT}}"),
        pa("default", "shop", "{mtls: {mode: PERMISSIVE}}"),
    )
    assert brief(got) == ("PERMISSIVE", "namespace", "shop/default", ())


def test_unset_namespace_mode_inherits_the_mesh(build: Builder) -> None:
    got = mtls(
        build,
        pa("default", "istio-system", "{mtls: {mode: STRICT}}"),
        pa("default", "shop", "{mtls: {mode: UNSET}}"),
    )
    assert brief(got) == ("STRICT", "mesh", "istio-system/default", ())


def test_workload_policy_overrides_namespace(build: Builder) -> None:
    got = mtls(
        build,
        pa("default", "shop", "{mtls: {mode: STRICT}}"),
        pa("web", "shop", "{selector: {matchLabels: {app: web}}, mtls: {mode: DISABLE}}"),
    )
    assert brief(got) == ("DISABLE", "workload", "shop/web", ())


def test_empty_match_labels_is_namespace_wide(build: Builder) -> None:
    got = mtls(build, pa("wide", "shop", "{selector: {matchLabels: {}}, mtls: {mode: STRICT}}"))
    assert brief(got) == ("STRICT", "namespace", "shop/wide", ())


def test_selector_policy_in_the_root_namespace_is_ignored(build: Builder) -> None:
    got = mtls(
        build,
        pa("web", "istio-system", "{selector: {matchLabels: {app: web}}, mtls: {mode: STRICT}}"),
    )
    assert brief(got) == ("PERMISSIVE", "default", None, ())


def test_the_oldest_workload_policy_wins(build: Builder) -> None:
    sel = "{selector: {matchLabels: {app: web}}, mtls: {mode: %s}}"
    got = mtls(
        build,
        pa("a-newer", "shop", sel % "STRICT", "2024-05-01T00:00:00Z"),
        pa("b-older", "shop", sel % "DISABLE", "2024-01-01T00:00:00Z"),
    )
    assert brief(got) == ("DISABLE", "workload", "shop/b-older", ("shop/a-newer",))


def test_the_oldest_namespace_policy_wins(build: Builder) -> None:
    got = mtls(
        build,
        pa("first", "shop", "{mtls: {mode: PERMISSIVE}}", "2023-01-01T00:00:00Z"),
        pa("second", "shop", "{mtls: {mode: STRICT}}", "2024-01-01T00:00:00Z"),
    )
    assert brief(got) == ("PERMISSIVE", "namespace", "shop/first", ("shop/second",))


def test_port_level_mode_applies_to_the_container_port_only(build: Builder) -> None:
    policy = pa(
        "web", "shop",
        "{selector: {matchLabels: {app: web}}, mtls: {mode: STRICT}, "
        "portLevelMtls: {8080: {mode: PERMISSIVE}}}",
    )  # fmt: skip
    assert brief(mtls(build, policy, port=8080)) == ("PERMISSIVE", "port", "shop/web", ())
    assert brief(mtls(build, policy, port=9090)) == ("STRICT", "workload", "shop/web", ())


def test_port_level_unset_inherits_the_workload_mode(build: Builder) -> None:
    policy = pa(
        "web", "shop",
        "{selector: {matchLabels: {app: web}}, portLevelMtls: {8080: {mode: UNSET}}}",
    )  # fmt: skip
    got = mtls(build, pa("default", "shop", "{mtls: {mode: STRICT}}"), policy)
    assert brief(got) == ("STRICT", "namespace", "shop/default", ())


def test_the_decision_points_at_the_policy_line(build: Builder) -> None:
    policy = pa("default", "istio-system", "{mtls: {mode: STRICT}}")
    got = mtls(build, policy)
    text = (POD + policy).splitlines()
    spec_line = next(i for i, t in enumerate(text, 1) if t.startswith("spec: {mtls"))
    assert got.source is not None
    assert (got.source.file.rsplit("/", 1)[-1], got.source.line) == ("objects.yaml", spec_line)
