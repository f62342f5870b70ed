"""NET004."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.net import Decision, Endpoint, Verdict, service_backends
from ekstwin.engines.net.lint import LintModel, first_items, lint_model
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef, Source

DNS_NAMESPACE = "kube-system"
DNS_SERVICE = "kube-dns"
DNS_LABEL = ("k8s-app", "kube-dns")
DNS_PORT = 53
PROTOCOLS = ("UDP", "TCP")


@dataclass(frozen=True, slots=True)
class _Blocked:
    pod: str
    protocol: str
    denied: int  # CoreDNS pods this pod cannot reach
    total: int
    example: Verdict


def _denying(v: Verdict) -> Decision:
    return v.egress if not v.egress.allowed else v.ingress


def _describe(d: Decision) -> str:
    where = f" ({d.source})" if d.source is not None else ""
    return f"{d.direction.value} denied: {d.message}{where}"


def _coredns(lm: LintModel) -> list[Endpoint]:
    key, value = DNS_LABEL
    return [e for e in lm.pods if e.namespace == DNS_NAMESPACE and e.labels.get(key) == value]


def _targets(lm: LintModel, dns: list[Endpoint], proto: str) -> list[tuple[Endpoint, int]]:
    """CoreDNS as every pod reaches it on ``proto``/53: the kube-dns Service's
    backends at their target ports when it has that port, else each CoreDNS pod
    on 53. Found once: it does not depend on the source."""
    svc = lm.platform.service(DNS_NAMESPACE, DNS_SERVICE)
    if svc is not None and any(p.port == DNS_PORT and p.protocol.value == proto for p in svc.ports):
        backends, _ = service_backends(lm.model, svc, DNS_PORT, proto)
        if backends:
            return backends
    return [(d, DNS_PORT) for d in dns]


class DnsBlocked(Check):
    """
    ## What it does
    Asks the net engine, for every pod (host-network pods and CoreDNS itself
    excepted), whether it can reach CoreDNS on UDP 53 and on TCP 53: through
    the `kube-system/kube-dns` Service, each backend at its target port, or,
    when the Service lacks that port, each pod labelled `k8s-app=kube-dns` in
    `kube-system` on port 53. It reports each namespace whose pods cannot,
    saying which protocol is blocked, for how many of the CoreDNS pods, and
    which rule or end of tier denies it (usually an egress default deny
    without a DNS exception; sometimes an ingress policy on CoreDNS).

    CoreDNS is implied when the input lacks it (the EKS add-on, see
    `docs/implied.md`); with `--no-implied` and no CoreDNS pod in the input,
    the check says in a warning (code `check-incomplete`) that it could not
    judge DNS.

    ## Why is this bad?
    Pods find Services and external hosts by name. An egress default deny
    that does not allow DNS makes every lookup time out: the application
    sees "no such host" although the connection it wants is allowed by
    address. DNS needs UDP for queries and TCP for answers too large for
    one datagram (and for some resolvers always), so allowing UDP alone
    breaks large answers intermittently.

    ## Example
    ```yaml
    kind: NetworkPolicy
    metadata: {name: default-deny-egress, namespace: dev}
    spec:
      podSelector: {}
      policyTypes: [Egress]      # no egress rule for kube-dns
    ```

    ## Fix
    Allow egress to CoreDNS on both protocols in the namespace:

    ```yaml
    egress:
      - to:
          - namespaceSelector:
              matchLabels: {kubernetes.io/metadata.name: kube-system}
            podSelector:
              matchLabels: {k8s-app: kube-dns}
        ports:
          - {protocol: UDP, port: 53}
          - {protocol: TCP, port: 53}
    ```

    ## References
    - Kubernetes documentation: DNS for Services and Pods
    - Kubernetes documentation: Network Policies, "Default deny all egress traffic"
    - RFC 7766: DNS Transport over TCP - Implementation Requirements
    """

    id = "NET004"
    slug = "dns-blocked"
    title = "Network policy blocks DNS to CoreDNS (UDP or TCP 53)"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        lm = lint_model(platform, ctx)
        dns = _coredns(lm)
        if not dns:
            if lm.pods:
                self.incomplete(
                    "the input has no CoreDNS pod (k8s-app=kube-dns in kube-system), so "
                    "whether pods can resolve names was not judged",
                    "add kube-system's manifests to the input, or drop --no-implied so that "
                    "the EKS CoreDNS add-on is assumed",
                )
            return
        dns_names = {d.name for d in dns}
        blocked: dict[str, list[_Blocked]] = {}
        pods_in: dict[str, int] = {}
        targets = {proto: _targets(lm, dns, proto) for proto in PROTOCOLS}
        for cls in lm.pod_classes():
            members = [m for m in cls.members if m.name not in dns_names]
            if not members:
                continue
            for m in members:
                ns = m.namespace or ""
                pods_in[ns] = pods_in.get(ns, 0) + 1
            for proto in PROTOCOLS:
                verdicts = [
                    lm.model.verdict(members[0], ep, proto, port) for ep, port in targets[proto]
                ]
                denied = [v for v in verdicts if not v.allowed]
                if not denied:
                    continue
                for m in members:
                    blocked.setdefault(m.namespace or "", []).append(
                        _Blocked(m.name, proto, len(denied), len(verdicts), denied[0])
                    )
        for ns in sorted(blocked):
            yield self._finding(platform, ns, blocked[ns], pods_in[ns])

    def _finding(
        self, platform: Platform, ns: str, items: list[_Blocked], total_pods: int
    ) -> Finding:
        protos = [p for p in PROTOCOLS if any(b.protocol == p for b in items)]
        evidence = []
        source: Source | None = None
        for proto in protos:
            mine = sorted((b for b in items if b.protocol == proto), key=lambda b: b.pod)
            pods = [b.pod for b in mine]
            first = mine[0]
            d = _denying(first.example)
            source = source or d.source
            reach = (
                "any CoreDNS pod"
                if first.denied == first.total
                else f"{first.denied} of {first.total} CoreDNS pods"
            )
            evidence.append(
                f"{proto}/{DNS_PORT}: {len(pods)} of {total_pods} pod(s) cannot reach "
                f"{reach}: {first_items(pods, 3)}"
            )
            evidence.append(
                f"{proto}/{DNS_PORT} {first.example.source} -> {first.example.destination}: "
                + _describe(d)
            )
        what = " and ".join(f"{p}/{DNS_PORT}" for p in protos)
        pods_blocked = len({b.pod for b in items})
        namespace = platform.namespace(ns)
        severity = self.severity if "UDP" in protos else Severity.MEDIUM
        return self.finding(
            ObjectRef("Namespace", ns),
            f"{pods_blocked} of {total_pods} pod(s) in namespace {ns} cannot reach CoreDNS "
            f"on {what}: names do not resolve"
            + ("" if "UDP" in protos else " when an answer needs TCP"),
            source or (namespace.meta.source if namespace is not None else None),
            evidence=evidence,
            fix=f"allow egress from namespace {ns} to kube-system pods labelled "
            "k8s-app=kube-dns on UDP 53 and TCP 53",
            severity=severity,
        )
