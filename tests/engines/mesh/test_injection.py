"""Sidecar injection: the webhooks' selectors, then the injector's own rules."""

from __future__ import annotations

import pytest

from ekstwin.engines.mesh import DataPlane, Injection, decide_injection
from tests.engines.conftest import Builder


def _platform(
    build: Builder, ns_labels: str, pod_meta: str, spec_extra: str = "", ns: str = "shop"
) -> Injection:
    text = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {ns}, labels: {{{ns_labels}}}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: web, namespace: {ns}, {pod_meta}}}
spec: {{containers: [{{name: c, image: nginx:1}}]{spec_extra}}}
"""
    platform = build(text)
    return decide_injection(platform, platform.pods[0])


CASES = [
    # namespace labels, pod metadata, expected data plane, reason, opted_out
    (
        "istio-injection: enabled",
        "labels: {app: web}",
        DataPlane.SIDECAR,
        "namespace label istio-injection=enabled",
        False,
    ),
    (
        "istio-injection: disabled",
        'labels: {sidecar.istio.io/inject: "true"}',
        DataPlane.NONE,
        "namespace label istio-injection=disabled: no injection webhook selects the namespace, "
        "whatever the pod says",
        False,
    ),
    (
        "istio-injection: enabled",
        'labels: {sidecar.istio.io/inject: "false"}',
        DataPlane.NONE,
        "namespace label istio-injection=enabled, but pod label sidecar.istio.io/inject=false",
        True,
    ),
    (
        "istio-injection: enabled",
        'annotations: {sidecar.istio.io/inject: "false"}',
        DataPlane.NONE,
        "namespace label istio-injection=enabled, but pod annotation sidecar.istio.io/inject=false "
        "(deprecated)",
        True,
    ),
    (
        "istio-injection: enabled",
        'labels: {sidecar.istio.io/inject: "true"}, '
        'annotations: {sidecar.istio.io/inject: "false"}',
        DataPlane.SIDECAR,
        "namespace label istio-injection=enabled; pod label sidecar.istio.io/inject=true",
        False,
    ),
    (
        "istio.io/rev: canary",
        "labels: {app: web}",
        DataPlane.SIDECAR,
        "namespace label istio.io/rev=canary",
        False,
    ),
    (
        "istio-injection: enabled, istio.io/rev: canary",
        "labels: {app: web}",
        DataPlane.SIDECAR,
        "namespace label istio-injection=enabled (wins over istio.io/rev=canary)",
        False,
    ),
    (
        "istio-injection: disabled, istio.io/rev: canary",
        "labels: {app: web}",
        DataPlane.NONE,
        "namespace label istio-injection=disabled: no injection webhook selects the namespace, "
        "whatever the pod says",
        False,
    ),
    (
        "team: shop",
        'labels: {sidecar.istio.io/inject: "true"}',
        DataPlane.SIDECAR,
        "pod label sidecar.istio.io/inject=true",
        False,
    ),
    (
        "team: shop",
        'annotations: {sidecar.istio.io/inject: "true"}',
        DataPlane.NONE,
        "neither the namespace (istio-injection, istio.io/rev) nor the pod labels ask for "
        "injection (the annotation sidecar.istio.io/inject alone does not select a pod: "
        "the webhooks read labels)",
        False,
    ),
    (
        "team: shop",
        "labels: {istio.io/rev: stable}",
        DataPlane.SIDECAR,
        "pod label istio.io/rev=stable",
        False,
    ),
    (
        "istio-injection: enabled",
        'labels: {sidecar.istio.io/inject: "no"}',
        DataPlane.SIDECAR,
        "namespace label istio-injection=enabled; pod label sidecar.istio.io/inject=no is "
        "neither 'true' nor 'false' (ignored)",
        False,
    ),
]


@pytest.mark.parametrize(("ns_labels", "pod_meta", "plane", "reason", "opted_out"), CASES)
def test_injection_follows_the_webhooks_and_the_injector(
    build: Builder, ns_labels: str, pod_meta: str, plane: DataPlane, reason: str, opted_out: bool
) -> None:
    got = _platform(build, ns_labels, pod_meta)
    assert (got.data_plane, got.reason, got.opted_out) == (plane, reason, opted_out)


def test_host_network_pods_are_never_injected(build: Builder) -> None:
    got = _platform(build, "istio-injection: enabled", "labels: {app: web}", ", hostNetwork: true")
    assert got == Injection(
        "shop/web", DataPlane.NONE,
        "namespace label istio-injection=enabled, but the pod uses the host network",
    )  # fmt: skip


def test_kube_system_is_never_injected(build: Builder) -> None:
    got = _platform(build, "", 'labels: {sidecar.istio.io/inject: "true"}', ns="kube-system")
    assert got.data_plane is DataPlane.NONE
    assert got.reason.endswith("but kube-system is never injected")


def test_grpc_agent_template_makes_a_proxyless_pod(build: Builder) -> None:
    got = _platform(
        build, "istio-injection: enabled", "annotations: {inject.istio.io/templates: grpc-agent}"
    )
    assert got == Injection(
        "shop/web",
        DataPlane.PROXYLESS,
        "namespace label istio-injection=enabled; template 'grpc-agent': agent only, no Envoy",
        "default",
    )


def test_a_pod_with_an_istio_proxy_container_is_in_the_mesh(build: Builder) -> None:
    platform = build("""
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: legacy}
spec: {containers: [{name: c, image: nginx:1}, {name: istio-proxy, image: istio/proxyv2:1.22.3}]}
""")
    got = decide_injection(platform, platform.pods[0])
    assert (got.data_plane, got.reason) == (
        DataPlane.SIDECAR, "the pod already has an istio-proxy container"
    )  # fmt: skip


@pytest.mark.parametrize("value", ["no", "False", "0", "y", "yes", "TRUE"])
def test_only_exact_true_and_false_count_other_values_fall_back_to_the_namespace(
    build: Builder, value: str
) -> None:
    enabled = _platform(
        build,
        "istio-injection: enabled",
        f'labels: {{app: web}}, annotations: {{sidecar.istio.io/inject: "{value}"}}',
    )
    assert (enabled.data_plane, enabled.opted_out) == (DataPlane.SIDECAR, False)
    assert enabled.reason == (
        "namespace label istio-injection=enabled; pod annotation sidecar.istio.io/inject="
        f"{value} (deprecated) is neither 'true' nor 'false' (ignored)"
    )
    # In an unlabelled namespace no webhook selects on a value other than "true".
    plain = _platform(build, "team: shop", f'labels: {{sidecar.istio.io/inject: "{value}"}}')
    assert plain == Injection(
        "shop/web",
        DataPlane.NONE,
        "neither the namespace (istio-injection, istio.io/rev) nor the pod labels ask for "
        f"injection (the webhooks select on sidecar.istio.io/inject=true exactly, not {value!r})",
    )


def test_a_revision_labelled_pod_in_an_unlabelled_namespace_goes_to_that_revision_only(
    build: Builder,
) -> None:
    got = _platform(
        build, "team: shop", 'labels: {sidecar.istio.io/inject: "true", istio.io/rev: canary}'
    )
    assert got == Injection(
        "shop/web",
        DataPlane.SIDECAR,
        "pod label istio.io/rev=canary (with sidecar.istio.io/inject=true: only revision "
        "canary's webhook selects the pod); pod label sidecar.istio.io/inject=true",
        "canary",
    )


INJECTOR = """
---
apiVersion: v1
kind: ConfigMap
metadata: {name: %s, namespace: istio-system}
data:
  config: |
    policy: %s
    alwaysInjectSelector:
      - matchLabels: {mesh: always}
    neverInjectSelector:
      - matchExpressions: [{key: mesh, operator: In, values: [never]}]
      - {}
"""


def _with_injector(
    build: Builder,
    ns_labels: str,
    pod_labels: str,
    policy: str,
    name: str = "istio-sidecar-injector",
) -> Injection:
    text = (
        f"""
apiVersion: v1
kind: Namespace
metadata: {{name: shop, labels: {{{ns_labels}}}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: web, namespace: shop, labels: {{{pod_labels}}}}}
spec: {{containers: [{{name: c, image: nginx:1}}]}}
"""
        + INJECTOR % (name, policy)
    )
    platform = build(text)
    return decide_injection(platform, platform.pods[0])


def test_policy_disabled_injects_only_on_an_explicit_true(build: Builder) -> None:
    cm = "injector ConfigMap istio-system/istio-sidecar-injector"
    got = _with_injector(build, "istio-injection: enabled", "app: web", "disabled")
    assert got == Injection(
        "shop/web",
        DataPlane.NONE,
        f"namespace label istio-injection=enabled, but the injector's policy is disabled ({cm}): "
        "only sidecar.istio.io/inject=true injects",
        "default",
    )
    got = _with_injector(
        build, "istio-injection: enabled", 'sidecar.istio.io/inject: "true"', "disabled"
    )
    assert (got.data_plane, got.reason) == (
        DataPlane.SIDECAR,
        "namespace label istio-injection=enabled; pod label sidecar.istio.io/inject=true",
    )


def test_never_and_always_inject_selectors_decide_before_the_policy(build: Builder) -> None:
    cm = "injector ConfigMap istio-system/istio-sidecar-injector"
    never = _with_injector(build, "istio-injection: enabled", "mesh: never", "enabled")
    assert never == Injection(
        "shop/web",
        DataPlane.NONE,
        f"namespace label istio-injection=enabled, but the pod matches neverInjectSelector ({cm})",
        "default",
        opted_out=True,
    )
    always = _with_injector(build, "istio-injection: enabled", "mesh: always", "disabled")
    assert (always.data_plane, always.reason) == (
        DataPlane.SIDECAR,
        f"namespace label istio-injection=enabled; the pod matches alwaysInjectSelector ({cm})",
    )
    # An explicit value wins over both selectors; an empty selector never matches.
    explicit = _with_injector(
        build, "istio-injection: enabled", 'mesh: never, sidecar.istio.io/inject: "true"', "enabled"
    )
    assert explicit.data_plane is DataPlane.SIDECAR
    plain = _with_injector(build, "istio-injection: enabled", "app: web", "enabled")
    assert (plain.data_plane, plain.reason) == (
        DataPlane.SIDECAR, f"namespace label istio-injection=enabled; policy enabled ({cm})"
    )  # fmt: skip


def test_each_revision_reads_its_own_injector_config_map(build: Builder) -> None:
    # The canary ConfigMap disables injection; the default revision's is absent.
    canary = _with_injector(
        build, "istio.io/rev: canary", "app: web", "disabled", "istio-sidecar-injector-canary"
    )
    assert (canary.data_plane, canary.revision) == (DataPlane.NONE, "canary")
    default = _with_injector(
        build, "istio-injection: enabled", "app: web", "disabled", "istio-sidecar-injector-canary"
    )
    assert (default.data_plane, default.reason) == (
        DataPlane.SIDECAR, "namespace label istio-injection=enabled"
    )  # fmt: skip
