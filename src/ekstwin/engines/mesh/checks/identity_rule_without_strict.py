"""MSH003."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.mesh.authz import pods_in_reach, policies_for
from ekstwin.engines.mesh.checks import mesh_model, mesh_sides
from ekstwin.engines.mesh.injection import DataPlane, mesh_members
from ekstwin.engines.mesh.peerauth import MtlsMode, effective_mtls
from ekstwin.engines.mesh.workloads import owner_ref
from ekstwin.engines.net.engine import bit_indices
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.istio import AuthorizationPolicy, AuthzRule
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
    conditions) on workloads whose effective mTLS mode on the rule's ports is
    not STRICT, and that a caller without a sidecar (a pod outside the mesh,
    an address outside the cluster) can reach on those ports, as the network
    policies allow.

    Between two sidecars traffic is mutual TLS even under PERMISSIVE, so a
    workload that only callers with sidecars can reach is not reported (as in
    Istio's authorization tutorial, where every workload has a sidecar). A
    DENY rule is high (plaintext callers bypass it); an ALLOW rule is low: a
    rule that fails to match denies rather than admits, so plaintext callers
    are refused unless a broader rule admits them.

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
        reach: dict[str, dict[int, set[str]]] | None = None  # built on first need
        for ap in sorted(
            platform.authorization_policies, key=lambda a: (a.meta.namespace or "", a.meta.name)
        ):
            if ap.action not in ("ALLOW", "DENY") or ap.target_refs:
                continue
            for i, rule in enumerate(ap.rules):
                fields = identity_fields(rule)
                if not fields:
                    continue
                if reach is None:
                    reach = _plaintext_reach(platform, ctx)
                rule_ports = sorted(
                    {int(p) for o in rule.operations for p in o.ports if p.isdigit()}
                )
                weak: dict[str, set[str]] = {}
                callers: set[str] = set()
                for pod in pods_in_reach(platform, ap):
                    if members[pod.key].data_plane is not DataPlane.SIDECAR:
                        continue
                    applied, _ = policies_for([ap], pod)
                    if not applied:
                        continue
                    reached = reach.get(pod.key, {})
                    ports: list[int | None] = (
                        list(rule_ports)
                        or [*sorted({p.container_port for p in pod.spec.all_ports})]
                        or [None]
                    )
                    for port in ports:
                        who = (
                            set().union(*reached.values())
                            if port is None and reached
                            else reached.get(port, set())
                            if port is not None
                            else set()
                        )
                        if not who:
                            continue  # only callers with a sidecar: mutual TLS either way
                        m = effective_mtls(platform, pod, port)
                        if m.mode is not MtlsMode.STRICT:
                            where = "any port" if port is None else f"port {port}"
                            weak.setdefault(str(owner_ref(platform, pod)), set()).add(
                                f"{where}: {m.explanation}; reachable without a sidecar from "
                                + ", ".join(sorted(who)[:3])
                                + (f" and {len(who) - 3} more" if len(who) > 3 else "")
                            )
                            callers |= who
                if not weak:
                    continue
                yield self._finding(ap, i, rule, fields=fields, weak=weak, callers=callers)

    def _finding(
        self,
        ap: AuthorizationPolicy,
        i: int,
        rule: AuthzRule,
        *,
        fields: tuple[str, ...],
        weak: dict[str, set[str]],
        callers: set[str],
    ) -> Finding:
        if ap.action == "ALLOW":
            effect = (
                "their requests carry no identity, so this rule never admits them: they are "
                "refused unless a broader rule admits them"
            )
            severity = Severity.LOW
        else:
            effect = (
                "their requests carry no identity, so this rule never matches them: they "
                "bypass the DENY"
            )
            severity = Severity.HIGH
        evidence = [f"rule {i} uses {', '.join(fields)}"]
        for wl in sorted(weak):
            evidence.extend(f"{wl} {w}" for w in sorted(weak[wl]))
        return self.finding(
            ap.meta.ref,
            f"{ap.action} rule {i} of {ap.meta.namespace}/{ap.meta.name} matches on peer "
            f"identity, mTLS is not STRICT on {len(weak)} workload(s) it selects, and "
            f"{len(callers)} caller(s) without a sidecar can reach them: {effect}",
            rule.location or ap.meta.line_of(f"/spec/rules/{i}"),
            evidence=evidence,
            fix="make mTLS STRICT on the selected workloads (at least on the rule's ports), "
            "or keep callers without a sidecar from reaching them",
            key=str(i),
            severity=severity,
        )


def _plaintext_reach(platform: Platform, ctx: CheckContext) -> dict[str, dict[int, set[str]]]:
    """For each pod with a sidecar, the TCP ports of its containers that endpoints
    without one (pods outside the mesh, addresses) may reach, and who they are.

    Worked out per pair of network classes, not per pair of pods: the callers of a
    source class are named once, and the pods of a destination class share one
    table (members of a class are alike to every policy)."""
    model = mesh_model(platform, ctx)
    net = model.net
    meshed, plain = mesh_sides(model)
    if not any(meshed):
        return {}
    meshed_mask = sum(1 << d for d, members in enumerate(meshed) if members)
    # (connection set, meshed destination classes) -> the plain source classes with it
    sources: dict[tuple[int, int], set[int]] = {}
    for s, row in enumerate(net.class_rows()):
        if not plain[s]:
            continue
        for cid, bits in row.items():
            bits &= meshed_mask
            if bits:
                sources.setdefault((cid, bits), set()).add(s)
    ports_of: dict[int, set[int]] = {}
    per_class: dict[int, dict[int, set[int]]] = {}  # destination -> port -> source classes
    for (cid, bits), srcs in sources.items():
        conns = net.conns(cid)
        for d in bit_indices(bits):
            ports = ports_of.get(d)
            if ports is None:
                ports = ports_of[d] = {
                    p.container_port for b in meshed[d] if b.pod for p in b.pod.spec.all_ports
                }
            table: dict[int, set[int]] | None = None
            for port in ports:
                if conns.contains("TCP", port):
                    if table is None:
                        table = per_class.setdefault(d, {})
                    table.setdefault(port, set()).update(srcs)
    callers_of: dict[int, set[str]] = {}
    named: dict[frozenset[int], set[str]] = {}

    def callers(srcs: set[int]) -> set[str]:
        key = frozenset(srcs)
        got = named.get(key)
        if got is None:
            got = named[key] = set()
            for s in srcs:
                who = callers_of.get(s)
                if who is None:
                    who = callers_of[s] = {
                        str(owner_ref(platform, a.pod)) if a.pod is not None else a.name
                        for a in plain[s]
                    }
                got |= who
        return got

    out: dict[str, dict[int, set[str]]] = {}
    for d, table in per_class.items():
        for b in meshed[d]:
            pod = b.pod
            assert pod is not None
            mine = {p.container_port for p in pod.spec.all_ports}
            got = {port: callers(srcs) for port, srcs in table.items() if port in mine}
            if got:
                out[pod.key] = got
    return out
