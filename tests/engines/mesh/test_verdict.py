"""The mesh verdict: mTLS at connection time, then AuthorizationPolicy, with the deciding rule."""

from __future__ import annotations

from ekstwin.engines.mesh import MeshReason, MeshStatus, MeshVerdict, mesh_verdict
from ekstwin.engines.mesh.authz import path_match, string_match
from tests.engines.conftest import Builder

BASE = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: legacy}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  serviceAccountName: web
  containers: [{name: c, image: nginx:1, ports: [{containerPort: 8080}, {containerPort: 6379}]}]
status: {podIP: 198.18.0.10}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
spec: {serviceAccountName: client, containers: [{name: c, image: curl:1}]}
status: {podIP: 198.18.0.11}
---
apiVersion: v1
kind: Pod
metadata: {name: old, namespace: legacy, labels: {app: old}}
spec: {containers: [{name: c, image: curl:1}]}
status: {podIP: 198.18.0.12}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}, {name: tcp-redis, port: 6379, targetPort: 6379}]
"""

STRICT = """---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRICT}}
"""
PERMISSIVE = STRICT.replace("STRICT", "PERMISSIVE")


def ap(name: str, spec: str, ns: str = "shop") -> str:
    return f"""---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {{name: {name}, namespace: {ns}}}
spec: {spec}
"""


def ask(
    build: Builder, *docs: str, src: str = "shop/client", port: int = 8080, **kw: str
) -> MeshVerdict:
    platform = build(BASE + "".join(docs))
    return mesh_verdict(platform, src, "shop/web", port, **kw)


def brief(v: MeshVerdict) -> tuple[str, str, str | None]:
    return (v.status.value, v.reason.value, None if v.authz is None else v.authz.policy)


# -- mTLS ---------------------------------------------------------------------


def test_regression_plaintext_client_to_strict_is_refused_at_connection(build: Builder) -> None:
    """NCA lets a plaintext client outside the mesh reach a STRICT workload; Istio resets it."""
    v = ask(build, STRICT, src="legacy/old")
    assert (v.status, v.reason, v.allowed) == (
        MeshStatus.REFUSED, MeshReason.PLAINTEXT_TO_STRICT, False
    )  # fmt: skip
    assert v.tls is not None and v.tls.mtls is False
    assert v.principal is None and v.authz is None
    assert v.message == (
        "plaintext to STRICT: the source has no sidecar: it sends plaintext; shop/web's sidecar "
        "requires mutual TLS on port 8080 (mTLS STRICT from mesh-level PeerAuthentication "
        f"istio-system/default ({v.mtls.source if v.mtls else ''})); the connection is reset "
        "before any request (no HTTP status)"
    )


def test_plaintext_client_to_permissive_is_accepted_without_identity(build: Builder) -> None:
    v = ask(build, PERMISSIVE, src="legacy/old")
    assert brief(v) == ("allowed", "no-allow-policy", None)
    assert v.principal is None


def test_sidecar_client_gets_auto_mtls_and_a_principal(build: Builder) -> None:
    v = ask(build, STRICT)
    assert brief(v) == ("allowed", "no-allow-policy", None)
    assert v.principal == "cluster.local/ns/shop/sa/client"


def test_destination_rule_disable_makes_a_sidecar_client_plaintext(build: Builder) -> None:
    dr = """---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: shop}
spec: {host: web, trafficPolicy: {tls: {mode: DISABLE}}}
"""
    v = ask(build, STRICT, dr)
    assert brief(v) == ("refused", "plaintext-to-strict", None)
    assert v.tls is not None
    assert v.tls.why == "DestinationRule shop/web sets tls.mode DISABLE: no Istio mutual TLS"


def test_istio_mutual_to_a_disable_port_is_refused(build: Builder) -> None:
    dr = """---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: shop}
spec: {host: web.shop.svc.cluster.local, trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}}
"""
    v = ask(build, STRICT.replace("STRICT", "DISABLE"), dr)
    assert brief(v) == ("refused", "mtls-to-disable", None)


def test_udp_and_destinations_outside_the_mesh_are_not_the_mesh_business(build: Builder) -> None:
    platform = build(BASE + STRICT)
    udp = mesh_verdict(platform, "shop/client", "shop/web", 53, "UDP")
    out = mesh_verdict(platform, "shop/client", "legacy/old", 80)
    assert (udp.status, udp.reason) == (MeshStatus.ALLOWED, MeshReason.NOT_TCP)
    assert (out.status, out.reason) == (MeshStatus.ALLOWED, MeshReason.NOT_IN_MESH)


# -- AuthorizationPolicy ---------------------------------------------------------


def test_allow_nothing_refuses_everything(build: Builder) -> None:
    v = ask(build, STRICT, ap("nothing", "{}"))
    assert brief(v) == ("refused", "no-allow-matched", "shop/nothing")
    assert v.authz is not None
    assert v.authz.message == (
        "selected by ALLOW policy shop/nothing but no rule matched: denied "
        "(shop/nothing has no rules: allow-nothing)"
    )


def test_deny_is_evaluated_before_allow(build: Builder) -> None:
    v = ask(
        build, STRICT,
        ap("allow-all", "{action: ALLOW, rules: [{}]}"),
        ap(
            "deny-client",
            "{action: DENY, rules: [{from: [{source: "
            "{principals: [cluster.local/ns/shop/sa/client]}}]}]}",
        ),
    )  # fmt: skip
    assert brief(v) == ("refused", "deny-matched", "shop/deny-client")
    assert v.authz is not None and v.authz.rule_index == 0


def test_audit_never_decides(build: Builder) -> None:
    v = ask(build, STRICT, ap("audit", "{action: AUDIT, rules: [{}]}"))
    assert brief(v) == ("allowed", "no-allow-policy", None)


def test_custom_hands_the_request_to_the_extension(build: Builder) -> None:
    v = ask(build, STRICT, ap("ext", "{action: CUSTOM, provider: {name: opa}, rules: [{}]}"))
    assert brief(v) == ("conditional", "custom", "shop/ext")
    assert v.authz is not None and "extension provider opa" in v.authz.message


def test_principals_need_mtls(build: Builder) -> None:
    rule = "{rules: [{from: [{source: {principals: ['*']}}]}]}"
    plain = ask(build, PERMISSIVE, ap("any-identity", rule), src="legacy/old")
    mtls = ask(build, PERMISSIVE, ap("any-identity", rule))
    assert brief(plain) == ("refused", "no-allow-matched", "shop/any-identity")
    assert brief(mtls) == ("allowed", "allow-matched", "shop/any-identity")


def test_not_namespaces_in_a_deny_matches_plaintext(build: Builder) -> None:
    rule = "{action: DENY, rules: [{from: [{source: {notNamespaces: [shop]}}]}]}"
    plain = ask(build, PERMISSIVE, ap("outsiders", rule), src="legacy/old")
    inside = ask(build, PERMISSIVE, ap("outsiders", rule))
    assert brief(plain) == ("refused", "deny-matched", "shop/outsiders")
    assert brief(inside) == ("allowed", "no-allow-policy", None)


def test_ip_blocks_match_the_source_address(build: Builder) -> None:
    rule = "{rules: [{from: [{source: {ipBlocks: [198.18.0.11/32]}}]}]}"
    assert brief(ask(build, STRICT, ap("by-ip", rule)))[0] == "allowed"
    assert brief(ask(build, PERMISSIVE, ap("by-ip", rule), src="legacy/old"))[0] == "refused"


def test_http_fields_on_a_tcp_port_drop_an_allow_rule(build: Builder) -> None:
    rule = "{rules: [{to: [{operation: {methods: [GET]}}]}]}"
    v = ask(build, STRICT, ap("get-only", rule), port=6379)
    assert brief(v) == ("refused", "no-allow-matched", "shop/get-only")
    assert v.authz is not None
    assert v.authz.message.endswith("rules with HTTP-only fields never match TCP traffic")


def test_http_fields_on_a_tcp_port_widen_a_deny_rule(build: Builder) -> None:
    rule = "{action: DENY, rules: [{to: [{operation: {methods: [POST], ports: ['6379']}}]}]}"
    v = ask(build, STRICT, ap("no-post", rule), port=6379)
    assert brief(v) == ("refused", "deny-matched", "shop/no-post")
    assert v.message.endswith("(the connection is closed)")


def test_methods_and_paths_decide_http_requests(build: Builder) -> None:
    rule = "{rules: [{to: [{operation: {methods: [GET], paths: ['/v1/{*}/items']}}]}]}"
    policy = ap("reads", rule)
    assert brief(ask(build, STRICT, policy, method="GET", path="/v1/a/items"))[0] == "allowed"
    assert brief(ask(build, STRICT, policy, method="POST", path="/v1/a/items"))[0] == "refused"
    assert brief(ask(build, STRICT, policy)) == ("conditional", "depends-on-request", "shop/reads")


def test_when_conditions_all_have_to_hold(build: Builder) -> None:
    rule = (
        "{rules: [{when: [{key: source.namespace, values: [shop]}, "
        "{key: destination.port, notValues: ['6379']}]}]}"
    )
    assert brief(ask(build, STRICT, ap("cond", rule)))[0] == "allowed"
    assert brief(ask(build, STRICT, ap("cond", rule), port=6379))[0] == "refused"


def test_root_namespace_policies_apply_mesh_wide(build: Builder) -> None:
    v = ask(
        build,
        STRICT,
        ap(
            "deny-web",
            "{selector: {matchLabels: {app: web}}, action: DENY, rules: [{}]}",
            ns="istio-system",
        ),
    )
    assert brief(v) == ("refused", "deny-matched", "istio-system/deny-web")


def test_target_ref_policies_do_not_apply_to_sidecars(build: Builder) -> None:
    spec = "{targetRefs: [{kind: Service, group: '', name: web}], action: DENY, rules: [{}]}"
    v = ask(build, STRICT, ap("waypoint-only", spec))
    assert brief(v) == ("allowed", "no-allow-policy", None)
    assert v.authz is not None
    assert v.authz.notes == (
        "AuthorizationPolicy shop/waypoint-only uses targetRefs: it applies to gateways/waypoints, "
        "not to this sidecar",
    )


def test_string_and_path_matching() -> None:
    principal = "cluster.local/ns/a/sa/b"
    assert [string_match(p, principal) for p in ("*", "*sa/b", "cluster.local/*", "x")] == [
        True, True, True, False,
    ]  # fmt: skip
    assert string_match("*", "") is False
    assert [path_match(p, "/a/b/c") for p in ("/a/{*}/c", "/a/{**}", "/a/{*}", "/a/*")] == [
        True, True, False, True,
    ]  # fmt: skip


# -- proxyless ------------------------------------------------------------------------

PROXYLESS = """---
apiVersion: v1
kind: Pod
metadata:
  name: grpc
  namespace: shop
  labels: {app: grpc}
  annotations: {inject.istio.io/templates: grpc-agent}
spec: {containers: [{name: c, image: grpc:1, ports: [{containerPort: 9000}]}]}
status: {podIP: 198.18.0.20}
"""


def test_proxyless_server_enforces_strict_but_not_authorization(build: Builder) -> None:
    deny = ap("deny-all", "{action: DENY, rules: [{}]}")
    platform = build(BASE + STRICT + PROXYLESS + deny)
    plain = mesh_verdict(platform, "legacy/old", "shop/grpc", 9000)
    sidecar = mesh_verdict(platform, "shop/client", "shop/grpc", 9000)
    assert (plain.status, plain.reason) == (MeshStatus.REFUSED, MeshReason.PLAINTEXT_TO_STRICT)
    assert (sidecar.status, sidecar.reason) == (MeshStatus.ALLOWED, MeshReason.PROXYLESS_NO_AUTHZ)


def test_proxyless_server_treats_permissive_as_disable(build: Builder) -> None:
    platform = build(BASE + PERMISSIVE + PROXYLESS)
    plain = mesh_verdict(platform, "legacy/old", "shop/grpc", 9000)
    sidecar = mesh_verdict(platform, "shop/client", "shop/grpc", 9000)
    assert (plain.status, plain.reason) == (MeshStatus.ALLOWED, MeshReason.PROXYLESS_NO_AUTHZ)
    assert sidecar.tls is not None
    assert (
        sidecar.tls.why == "auto mTLS: the destination's mode on the port is DISABLE, so plaintext"
    )
    assert sidecar.status is MeshStatus.ALLOWED


def test_proxyless_client_has_no_auto_mtls(build: Builder) -> None:
    platform = build(BASE + STRICT + PROXYLESS)
    v = mesh_verdict(platform, "shop/grpc", "shop/web", 8080)
    assert (v.status, v.reason) == (MeshStatus.REFUSED, MeshReason.PLAINTEXT_TO_STRICT)


def test_istio_mutual_towards_a_pod_without_sidecar_is_refused(build: Builder) -> None:
    extra = """---
apiVersion: v1
kind: Service
metadata: {name: old, namespace: legacy}
spec: {selector: {app: old}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: old, namespace: legacy}
spec: {host: old.legacy.svc.cluster.local, trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}}
"""
    platform = build(BASE + STRICT + extra)
    v = mesh_verdict(platform, "shop/client", "legacy/old", 8080)
    assert (v.status, v.reason) == (MeshStatus.REFUSED, MeshReason.MTLS_TO_NON_MESH)
    assert v.message == (
        "DestinationRule legacy/old sets tls.mode ISTIO_MUTUAL, but legacy/old has no sidecar "
        "(neither the namespace (istio-injection, istio.io/rev) nor the pod labels ask for "
        "injection): it cannot answer the TLS handshake"
    )


def test_paths_match_the_url_path_without_the_query_string(build: Builder) -> None:
    allow = ap("admin", "{rules: [{to: [{operation: {paths: ['/allow/admin']}}]}]}")
    got = ask(build, STRICT, allow, method="GET", path="/allow/admin?param=value")
    assert brief(got) == ("allowed", "allow-matched", "shop/admin")
    deny = ap("no-admin", "{action: DENY, rules: [{to: [{operation: {notPaths: ['/public*']}}]}]}")
    assert brief(ask(build, STRICT, deny, method="GET", path="/public/x?next=/admin#frag")) == (
        "allowed", "no-allow-policy", None,
    )  # fmt: skip
    assert brief(ask(build, STRICT, deny, method="GET", path="/admin?x=/public"))[0] == "refused"


def dr(name: str, ns: str, host: str, mode: str) -> str:
    return f"""---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: {name}, namespace: {ns}}}
spec: {{host: '{host}', trafficPolicy: {{tls: {{mode: {mode}}}}}}}
"""


CLIENTS = """---
apiVersion: v1
kind: Namespace
metadata: {name: ops, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Pod
metadata: {name: tool, namespace: ops, labels: {app: tool}}
spec: {serviceAccountName: tool, containers: [{name: c, image: curl:1}]}
status: {podIP: 198.18.0.20}
"""


def test_destination_rules_are_looked_up_in_the_client_namespace_first(build: Builder) -> None:
    docs = (
        STRICT,
        CLIENTS,
        dr("plain-from-ops", "ops", "web.shop.svc.cluster.local", "DISABLE"),
        dr("mutual", "shop", "web", "ISTIO_MUTUAL"),
    )
    v = ask(build, *docs, src="ops/tool")
    assert brief(v) == ("refused", "plaintext-to-strict", None)
    assert v.tls is not None
    assert (
        v.tls.why == "DestinationRule ops/plain-from-ops sets tls.mode DISABLE: no Istio mutual TLS"
    )
    # A client in another namespace finds the service namespace's rule.
    v = ask(build, *docs, src="shop/client")
    assert (
        v.tls is not None and v.tls.why == "DestinationRule shop/mutual sets tls.mode ISTIO_MUTUAL"
    )
    assert v.status is MeshStatus.ALLOWED


def test_destination_rule_lookup_falls_back_to_the_root_namespace(build: Builder) -> None:
    docs = (STRICT, CLIENTS, dr("mesh-plain", "istio-system", "*.local", "DISABLE"))
    v = ask(build, *docs, src="ops/tool")
    assert v.tls is not None
    assert (
        v.tls.why
        == "DestinationRule istio-system/mesh-plain sets tls.mode DISABLE: no Istio mutual TLS"
    )
    # The service namespace's rule wins over the root namespace's.
    v = ask(build, *docs, dr("mutual", "shop", "web", "ISTIO_MUTUAL"), src="ops/tool")
    assert v.tls is not None and v.tls.mtls


def test_within_a_namespace_the_most_specific_host_wins(build: Builder) -> None:
    docs = (
        STRICT,
        CLIENTS,
        dr("a-wild", "ops", "*.svc.cluster.local", "ISTIO_MUTUAL"),
        dr("z-exact", "ops", "web.shop.svc.cluster.local", "DISABLE"),
    )
    v = ask(build, *docs, src="ops/tool")
    assert v.tls is not None and v.tls.why.startswith("DestinationRule ops/z-exact")


def test_unrelated_namespaces_and_unexported_rules_do_not_apply(build: Builder) -> None:
    other = dr("elsewhere", "legacy", "web.shop.svc.cluster.local", "DISABLE")
    v = ask(build, STRICT, CLIENTS, other, src="ops/tool")
    assert v.tls is not None and v.tls.why.startswith("auto mTLS")
    private = dr("private", "shop", "web", "DISABLE").replace(
        "spec: {host:", "spec: {exportTo: ['.'], host:"
    )
    v = ask(build, STRICT, CLIENTS, private, src="ops/tool")
    assert v.tls is not None and v.tls.why.startswith("auto mTLS")
    v = ask(build, STRICT, CLIENTS, private, src="shop/client")
    assert brief(v) == ("refused", "plaintext-to-strict", None)


def test_service_accounts_match_the_peer_identity(build: Builder) -> None:
    """Before, the field was not read and the rule matched every caller."""
    full = ap("by-sa", "{rules: [{from: [{source: {serviceAccounts: [shop/client]}}]}]}")
    assert brief(ask(build, STRICT, full)) == ("allowed", "allow-matched", "shop/by-sa")
    short = ap("by-sa", "{rules: [{from: [{source: {serviceAccounts: [client]}}]}]}")
    assert brief(ask(build, STRICT, short))[0] == "allowed"
    other = ap("by-sa", "{rules: [{from: [{source: {serviceAccounts: [shop/web]}}]}]}")
    assert brief(ask(build, STRICT, other)) == ("refused", "no-allow-matched", "shop/by-sa")
    deny = ap(
        "not-sa", "{action: DENY, rules: [{from: [{source: {notServiceAccounts: [client]}}]}]}"
    )
    assert brief(ask(build, PERMISSIVE, deny, src="legacy/old")) == (
        "refused", "deny-matched", "shop/not-sa",
    )  # fmt: skip
