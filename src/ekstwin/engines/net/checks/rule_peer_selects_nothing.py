"""NET002."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.net.endpoints import Cidr, Endpoint, EndpointKind
from ekstwin.engines.net.lint import (
    LintModel,
    first_items,
    has_host_endpoints,
    lint_model,
    policy_meta,
    policy_ref,
    required_label,
)
from ekstwin.engines.net.policies import (
    CalicoEntity,
    CompiledPolicy,
    CompiledRule,
    Direction,
    K8sPeer,
    K8sPeers,
)
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.k8s import NAMESPACE_NAME_LABEL
from ekstwin.model.platform import Platform
from ekstwin.model.selectors import Global


def _namespaces_text(names: frozenset[str] | None) -> str:
    if names is None:
        return "every namespace"
    if not names:
        return "no namespace"
    return "namespace(s) " + first_items(sorted(names))


def _k8s_problem(lm: LintModel, kp: K8sPeer) -> tuple[str, list[str]] | None:
    """Why a Kubernetes peer selects no pod, or None when it selects one (or is
    an ipBlock, or names an existing namespace as a whole)."""
    peer = kp.peer
    if peer.ip_block is not None:
        return None
    names = kp.namespaces(lm.ns_labels)
    candidates = lm.pod_classes() if names is None else lm.pod_classes_in(names)
    if peer.pod_selector is not None and peer.pod_selector.match_labels:
        key, value = peer.pod_selector.match_labels[0]
        labelled = {c.index for c in lm.pod_classes_labelled(key, value, calico=False)}
        candidates = tuple(c for c in candidates if c.index in labelled)
    if any(kp.matches(c.rep, lm.ctx) for c in candidates):  # members are alike
        return None
    evidence = []
    if peer.namespace_selector is not None:
        evidence.append(
            f"namespaceSelector {str(peer.namespace_selector) or '{}'} matches "
            + _namespaces_text(names)
        )
        if not names:
            return "its namespaceSelector matches no namespace", evidence
    else:
        evidence.append(
            f"no namespaceSelector: pods of the policy's namespace {kp.policy_namespace}"
        )
    if peer.pod_selector is None:
        return None  # a whole namespace that exists: meant for the pods it will run
    sel = str(peer.pod_selector) or "{}"
    evidence.append(f"podSelector {sel} matches no pod there")
    return f"its podSelector {sel} matches no pod in {_namespaces_text(names)}", evidence


def _absent_namespaces(lm: LintModel, kp: K8sPeer) -> list[str]:
    """The namespaces a peer names by their automatic ``kubernetes.io/metadata.name``
    label that the input does not hold: unknown, not empty."""
    sel = kp.peer.namespace_selector
    if sel is None:
        return []
    names = [v for k, v in sel.match_labels if k == NAMESPACE_NAME_LABEL]
    for req in sel.match_expressions:
        if req.key == NAMESPACE_NAME_LABEL and req.operator == "In":
            names.extend(req.values)
    return sorted(n for n in set(names) if n not in lm.ns_labels)


def _serves_dns(r: CompiledRule) -> bool:
    """A rule about DNS: port 53, or a peer that names CoreDNS's pods."""
    ports = getattr(r.ports, "ports", ())
    if any(getattr(p, "port", None) in (53, "dns", "dns-tcp") for p in ports):
        return True
    if isinstance(r.peer, K8sPeers):
        return any(
            kp.peer.pod_selector is not None
            and ("k8s-app", "kube-dns") in kp.peer.pod_selector.match_labels
            for kp in r.peer.peers
        )
    return False


def _set_probes(lm: LintModel) -> list[Endpoint]:
    """One address inside each net of every network set."""
    out = []
    for s in lm.platform.network_sets:
        for text in s.nets:
            c = Cidr.parse(text)
            if c.first <= c.last:
                out.append(Endpoint(EndpointKind.EXTERNAL, text, c.first))
    return out


def _calico_problem(
    lm: LintModel, p: CompiledPolicy, ce: CalicoEntity, probes: list[Endpoint]
) -> tuple[str, list[str]] | None:
    e = ce.entity
    if e.nets or e.services is not None:
        return None  # a nets peer is addresses, not nothing; Services are not modelled
    if e.selector is None and e.service_accounts is None and e.namespace_selector is None:
        return None  # no positive selection (notSelector, notNets, ports only)
    if (
        p.namespace is None
        and has_host_endpoints(lm.platform)
        and (e.namespace_selector is None or isinstance(e.namespace_selector, Global))
    ):
        return None  # may select host endpoints, which are not modelled
    names = ce.namespaces(lm.ns_labels)
    candidates = lm.pod_classes()
    if not lm.platform.network_sets:
        # a pod matches through its own labels and namespace only (no set may hold it)
        if names is not None:
            candidates = lm.pod_classes_in(names)
        required = required_label(e.selector)
        if required is not None:
            labelled = {c.index for c in lm.pod_classes_labelled(*required, calico=True)}
            candidates = tuple(c for c in candidates if c.index in labelled)
    if any(ce.matches(c.rep, lm.ctx) for c in candidates):
        return None
    if any(ce.matches(probe, lm.ctx) for probe in probes):
        return None
    evidence = []
    if e.namespace_selector is not None:
        what = (
            "non-namespaced resources (GlobalNetworkSets, host endpoints)"
            if isinstance(e.namespace_selector, Global)
            else _namespaces_text(names)
        )
        evidence.append(f"namespaceSelector {e.namespace_selector} matches {what}")
        if isinstance(e.namespace_selector, Global):
            if e.selector is None:
                return "its namespaceSelector global() matches no GlobalNetworkSet", evidence
        elif not names:
            return "its namespaceSelector matches no namespace", evidence
        elif e.selector is None and e.service_accounts is None:
            return None  # whole namespaces that exist
    elif p.namespace is not None:
        evidence.append(f"scope: the policy's namespace {p.namespace}")
    else:
        evidence.append("scope: every namespace and every GlobalNetworkSet")
    parts = []
    if e.service_accounts is not None:
        sa = e.service_accounts
        if sa.names:
            parts.append(f"serviceAccounts names {', '.join(sa.names)}")
        if sa.selector is not None:
            parts.append(f"serviceAccounts selector {sa.selector}")
    if e.selector is not None:
        parts.append(f"selector {e.selector}")
    if e.not_selector is not None:
        parts.append(f"notSelector {e.not_selector}")
    what = " and ".join(parts)
    evidence.append(f"{what}: no pod and no network set in scope matches")
    return f"its {what} matches no pod and no network set in scope", evidence


def _side(direction: Direction) -> tuple[str, str]:
    return ("from", "source") if direction is Direction.INGRESS else ("to", "destination")


class RulePeerSelectsNothing(Check):
    """
    ## What it does
    Finds policy rule peers that match no endpoint of the platform:

    - a Kubernetes `from`/`to` entry whose `podSelector` (in the policy's
      namespace, or in the namespaces its `namespaceSelector` picks) matches
      no pod, or whose `namespaceSelector` matches no namespace;
    - the source of a Calico ingress rule or the destination of an egress
      rule whose `selector`, `serviceAccounts` and `namespaceSelector`
      together match no pod and no NetworkSet or GlobalNetworkSet in scope
      (Calico applies selectors to network sets too), or whose
      `namespaceSelector` matches no namespace.

    Not reported: `ipBlock` and `nets` peers (addresses are something, even
    with no pod behind them); a `namespaceSelector` alone that matches an
    existing namespace (it means every pod that namespace will run);
    `notSelector`/`notNets`-only entities; Calico `services` matches (not
    modelled); in a GlobalNetworkPolicy, peers that may mean host endpoints
    when the input holds HostEndpoint objects. Host-network pods are not
    selected by pod selectors. Pods are those of the input and those its
    workloads would create.

    ## Why is this bad?
    The rule was written to let someone in (or out, or to deny someone) and
    matches no one: usually a misspelt label, a label that changed on the
    workload, or a namespace label that was never set (`kubernetes.io/metadata.name`
    is set automatically, custom labels are not). An allow rule that matches
    nothing leaves the intended traffic denied; a deny rule that matches
    nothing lets it through.

    ## Example
    ```yaml
    ingress:
      - from:
          - namespaceSelector:
              matchLabels: {team: frontend}   # no namespace has label team=frontend
            podSelector:
              matchLabels: {app: web}
    ```

    A Kubernetes peer that names a namespace by its automatic
    `kubernetes.io/metadata.name` label that the input does not hold (an
    application repository without `kube-system`, with `--no-implied`) is
    not judged: the finding says so at severity info. A peer of a DNS rule
    (port 53, or pods labelled `k8s-app: kube-dns`) is never advised away.

    ## Fix
    Correct the selector (`kubectl get ns --show-labels`, `kubectl get pods
    -A -l app=web`), label the namespace, or remove the rule.

    ## References
    - Kubernetes documentation: Network Policies, "Behavior of to and from selectors"
    - Calico documentation: Rule and EntityRule (selector, namespaceSelector,
      serviceAccounts), NetworkSet and GlobalNetworkSet
    """

    id = "NET002"
    slug = "rule-peer-selects-nothing"
    title = "Network policy rule peer selects nothing"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        lm = lint_model(platform, ctx)
        probes = _set_probes(lm)
        # Peers written alike (the same selectors, in the same namespace) are judged
        # once: many policies repeat one peer.
        k8s_seen: dict[K8sPeer, tuple[str, list[str]] | None] = {}
        calico_seen: dict[tuple[CalicoEntity, str | None], tuple[str, list[str]] | None] = {}
        for _, p in lm.policies():
            meta = policy_meta(p)
            rules: tuple[CompiledRule, ...] = p.ingress + p.egress
            for r in rules:
                k8s_word, calico_word = _side(r.direction)
                where = f"{r.direction.value} rule {r.index}"
                if isinstance(r.peer, K8sPeers):
                    for j, kp in enumerate(r.peer.peers):
                        if kp in k8s_seen:
                            got = k8s_seen[kp]
                        else:
                            got = k8s_seen[kp] = _k8s_problem(lm, kp)
                        if got is None:
                            continue
                        why, evidence = got[0], list(got[1])
                        pointer = f"/spec/{r.direction.value}/{r.index}/{k8s_word}/{j}"
                        key = f"{r.direction.value}/{r.index}/{j}"
                        absent = _absent_namespaces(lm, kp)
                        if absent:
                            # Unknown, not empty: the namespace is simply not in the input.
                            listed = ", ".join(absent)
                            yield self.finding(
                                policy_ref(p),
                                f"{p.id} {where} peer {j} cannot be judged: it names "
                                f"namespace {listed}, which the input does not hold",
                                meta.line_of(pointer),
                                evidence=evidence,
                                fix=f"nothing to change if namespace {listed} exists in the "
                                "cluster; add its manifests to the input to judge the peer",
                                key=key,
                                severity=Severity.INFO,
                                confidence=Confidence.LOW,
                            )
                            continue
                        fix = "correct the selector or the namespace labels, or remove the peer"
                        if _serves_dns(r):
                            fix = (
                                "correct the selector or the namespace labels; do not remove "
                                "the peer: this rule is how the pods reach DNS"
                            )
                        yield self.finding(
                            policy_ref(p),
                            f"{p.id} {where} peer {j} selects no pod: {why}",
                            meta.line_of(pointer),
                            evidence=evidence,
                            fix=fix,
                            key=key,
                        )
                    continue
                assert isinstance(r.peer, CalicoEntity)
                ckey = (r.peer, p.namespace)
                if ckey in calico_seen:
                    got = calico_seen[ckey]
                else:
                    got = calico_seen[ckey] = _calico_problem(lm, p, r.peer, probes)
                if got is None:
                    continue
                why, evidence = got[0], list(got[1])
                pointer = f"/spec/{r.direction.value}/{r.index}/{calico_word}"
                yield self.finding(
                    policy_ref(p),
                    f"{p.id} (tier {p.tier}) {where} ({r.action.value}) {calico_word} "
                    f"selects nothing: {why}",
                    meta.line_of(pointer),
                    evidence=evidence,
                    fix="correct the selector or the labels, or remove the rule",
                    key=f"{r.direction.value}/{r.index}",
                )
