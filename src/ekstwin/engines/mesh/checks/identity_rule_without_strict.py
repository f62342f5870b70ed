"""MSH003."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.mesh.authz import policies_for
from ekstwin.engines.mesh.injection import DataPlane, mesh_members
from ekstwin.engines.mesh.peerauth import MtlsMode, effective_mtls
from ekstwin.engines.mesh.workloads import owner_ref
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.istio import AuthzRule
from ekstwin.model.platform import Platform

_IDENTITY_KEYS = ("source.principal", "source.namespace", "source.serviceAccount")


def identity_fields(rule: AuthzRule) -> tuple[str, ...]:
    """The peer-identity attributes a rule uses (they come from the client certificate)."""
    out: list[str] = []
    for s in rule.sources:
        for name, vals in (
            ("principals", s.principals), ("notPrincipals", s.not_principals),
            ("namespaces", s.namespaces), ("notNamespaces", s.not_namespaces),
            ("serviceAccounts", s.service_accounts),
            ("notServiceAccounts", s.not_service_accounts),
        ):  # fmt: skip
            if vals:
                out.append(name)
    out.extend(f"when {c.key}" for c in rule.conditions if c.key in _IDENTITY_KEYS)
    return tuple(dict.fromkeys(out))


class IdentityRuleWithoutStrictMtls(Check):
    """
    ## What it does
    Finds AuthorizationPolicy rules that match on the peer's identity
    (`principals`, `namespaces`, `serviceAccounts`, their `not` forms, or the
    `source.principal`, `source.namespace` and `source.serviceAccount`
    conditions) on workloads whose effective mTLS mode
    on the rule's ports is not STRICT.

    ## Why is this bad?
    Peer identities come from the client certificate of a mutual TLS
    connection. Under PERMISSIVE or DISABLE a plaintext caller has no
    principal and no namespace: an ALLOW rule keyed on them never matches it
    (the caller is refused, or let in by a broader rule), and a DENY rule keyed
    on them never matches it either, so plaintext callers bypass the DENY.

    ## Example
    ```yaml
    kind: AuthorizationPolicy
    spec:
      action: DENY
      rules: [{from: [{source: {namespaces: [untrusted]}}]}]
    # on a workload whose namespace is PERMISSIVE
    ```

    ## Fix
    Make mTLS STRICT for the workload (at least on the ports the rule guards),
    or key the rule on something plaintext carries (`ipBlocks`) and accept
    that it is weaker.

    ## References
    - Istio: AuthorizationPolicy reference, Source (principals, namespaces need mTLS)
    - Istio: Security concepts, "Authorization" (recommends STRICT with identity rules)
    """

    id = "MSH003"
    slug = "identity-rule-without-strict-mtls"
    title = "AuthorizationPolicy keyed on peer identity where mTLS is not STRICT"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        members = mesh_members(platform)
        for ap in sorted(
            platform.authorization_policies, key=lambda a: (a.meta.namespace or "", a.meta.name)
        ):
            if ap.action not in ("ALLOW", "DENY") or ap.target_refs:
                continue
            for i, rule in enumerate(ap.rules):
                fields = identity_fields(rule)
                if not fields:
                    continue
                rule_ports = sorted(
                    {int(p) for o in rule.operations for p in o.ports if p.isdigit()}
                )
                weak: dict[str, set[str]] = {}
                for pod in platform.pods:
                    if members[pod.key].data_plane is not DataPlane.SIDECAR:
                        continue
                    applied, _ = policies_for([ap], pod)
                    if not applied:
                        continue
                    ports: list[int | None] = (
                        list(rule_ports)
                        or [*sorted({p.container_port for p in pod.spec.all_ports})]
                        or [None]
                    )
                    for port in ports:
                        m = effective_mtls(platform, pod, port)
                        if m.mode is not MtlsMode.STRICT:
                            where = "any port" if port is None else f"port {port}"
                            weak.setdefault(str(owner_ref(platform, pod)), set()).add(
                                f"{where}: {m.explanation}"
                            )
                if not weak:
                    continue
                effect = (
                    "plaintext callers never match it (no identity) and are refused or fall "
                    "through to broader rules"
                    if ap.action == "ALLOW"
                    else "plaintext callers never match it: they bypass the DENY"
                )
                evidence = [f"rule {i} uses {', '.join(fields)}"]
                for wl in sorted(weak):
                    evidence.extend(f"{wl} {w}" for w in sorted(weak[wl]))
                yield self.finding(
                    ap.meta.ref,
                    f"{ap.action} rule {i} of {ap.meta.namespace}/{ap.meta.name} matches on peer "
                    f"identity, but mTLS is not STRICT on {len(weak)} workload(s) it selects: "
                    f"{effect}",
                    rule.location or ap.meta.line_of(f"/spec/rules/{i}"),
                    evidence=evidence,
                    fix="make mTLS STRICT on the selected workloads (at least on the rule's ports)",
                    key=str(i),
                )
