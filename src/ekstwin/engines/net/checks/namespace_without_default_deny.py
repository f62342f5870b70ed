"""NET003."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.net.endpoints import Endpoint
from ekstwin.engines.net.lint import (
    Applicable,
    LintModel,
    first_items,
    is_unconditional,
    lint_model,
    rule_text,
)
from ekstwin.engines.net.policies import Direction
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.calico import Action
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef


@dataclass(frozen=True, slots=True)
class Fallthrough:
    """Where traffic that no rule names specifically ends for one pod and direction."""

    denied: bool
    why: str
    #: The policy whose allow-everything rule opens the pod (not a missing deny).
    opened_by: str | None = None


def follow(tiers: Applicable) -> Fallthrough:
    """Follow the traffic that only rules matching everything can match (an
    unnamed peer on an unnamed port) through ``tiers``, those that select a pod."""
    if not tiers:
        return Fallthrough(False, "no policy selects it")
    passed: list[str] = []
    for tier, pols in tiers:
        went = False
        for p, rules in pols:
            for r in rules:
                if r.action is Action.LOG or not is_unconditional(r):
                    continue
                if r.action is Action.ALLOW:
                    return Fallthrough(False, f"{rule_text(p, r)} allows everything", str(p.id))
                if r.action is Action.DENY:
                    return Fallthrough(True, f"{rule_text(p, r)} denies everything")
                went = True
                break
            if went:
                break
        if not went and tier.default_action is Action.DENY:
            names = ", ".join(str(p.id) for p, _ in pols)
            return Fallthrough(True, f"end of tier {tier.name} (selected by {names})")
        passed.append(tier.name)
    return Fallthrough(False, f"passed by tier(s) {', '.join(passed)} to the namespace profile")


def _fallthrough(
    lm: LintModel, ep: Endpoint, direction: Direction, memo: dict[int, Fallthrough]
) -> Fallthrough:
    """:func:`follow` through the tiers that select ``ep``, once per answer of
    ``lm.applicable`` (the lint model keeps one object per answer, so its identity
    stands for its content)."""
    tiers = lm.applicable(ep, direction)
    got = memo.get(id(tiers))
    if got is None:
        got = memo[id(tiers)] = follow(tiers)
    return got


class NamespaceWithoutDefaultDeny(Check):
    """
    ## What it does
    For every namespace with pods (host-network pods do not count, they are
    not subject to pod policy), and for ingress and egress separately, asks
    where traffic that no rule names specifically ends: from or to an
    address no rule mentions, on a port no rule mentions. It follows that
    traffic through the tiers, policies and rules that select each pod, in
    Calico's order, the way Calico evaluates it:

    - a Kubernetes NetworkPolicy selecting the pod for that direction isolates
      it (the `default` tier drops what its rules do not allow), as does a
      Calico policy in any tier whose `defaultAction` is Deny, unless a rule
      that matches everything allows it first or passes it on;
    - a Calico rule that matches everything and denies it is a default deny
      too (for example a GlobalNetworkPolicy in a security tier);
    - a pod no policy selects, a tier whose rules pass everything, or an
      allow-all rule leaves that traffic open.

    The check runs when the platform has at least one network policy
    (Kubernetes or Calico): a platform with none does not use network policy
    at all, and listing every namespace would say nothing more than that.

    A namespace is reported when some of its pods are open in a direction;
    the finding says which directions and which pods, and by which policy.
    When every open pod of a direction is opened by a rule that allows
    everything (a policy that opens one workload on purpose, or per-workload
    policies with `egress: [{}]`), a default deny would change nothing: the
    finding names those policies and what they open, at severity low, and
    advises narrowing them rather than adding a default deny. The cluster's own
    namespaces (`--system-namespaces`, by default
    `kube-system`, `kube-public` and `kube-node-lease`) are skipped: they hold
    the cluster's own components, which EKS manages and which a blanket
    default deny would break.

    Limits: pods are judged as they are today (those of the input and those
    its workloads would create), so several per-workload policies that
    together select every pod count as covered. A rule with any condition
    (a selector, a CIDR other than 0.0.0.0/0, a port, a protocol) is taken not
    to match unnamed traffic; a Deny rule with only negated conditions
    (`notNets`, `notSelector`) that would deny most traffic is therefore not
    seen as a default deny.

    ## Why is this bad?
    Kubernetes allows all traffic to and from a pod that no policy selects.
    Without a default deny, every new workload in the namespace starts open,
    and any allow rule written for a pod only documents intent. A default
    deny for both directions turns the policies into an allow list: what
    nobody allowed does not flow.

    ## Example
    ```yaml
    # namespace monitoring: policies for grafana only; prometheus and the
    # exporters accept connections from anywhere and reach anything.
    ```

    ## Fix
    Add a policy selecting every pod of the namespace for the missing
    direction(s) with no rules, then allow what is needed (do not forget DNS
    egress):

    ```yaml
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: default-deny, namespace: monitoring}
    spec:
      podSelector: {}
      policyTypes: [Ingress, Egress]
    ```

    Or deny by default for many namespaces at once with a Calico
    GlobalNetworkPolicy in a tier of its own.

    ## References
    - Kubernetes documentation: Network Policies, "Default policies"
    - Calico documentation: Tier ("How policy is evaluated", defaultAction)
      and "Enable a default deny policy for Kubernetes pods"
    """

    id = "NET003"
    slug = "namespace-without-default-deny"
    title = "Namespace has no default deny for ingress or egress"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        if not platform.network_policies and not platform.calico_policies:
            return
        lm = lint_model(platform, ctx)
        # Pods alike to every policy (one answer of lm.applicable) fall through alike.
        memo: dict[int, Fallthrough] = {}
        by_ns: dict[str, list[Endpoint]] = {}
        for ep in lm.pods:
            ns = ep.namespace
            if ns is not None and not ctx.is_system_namespace(platform, ns):
                by_ns.setdefault(ns, []).append(ep)
        for ns in sorted(by_ns):
            finding = self._namespace(platform, lm, ns, by_ns[ns], memo)
            if finding is not None:
                yield finding

    def _namespace(
        self,
        platform: Platform,
        lm: LintModel,
        ns: str,
        pods: list[Endpoint],
        memo: dict[int, Fallthrough],
    ) -> Finding | None:
        missing: list[str] = []  # directions with no default deny
        opened: list[str] = []  # directions denied by default but opened wide for some pods
        evidence: list[str] = []
        openers: dict[str, list[str]] = {}
        for direction in (Direction.INGRESS, Direction.EGRESS):
            open_pods = [(ep.name, _fallthrough(lm, ep, direction, memo)) for ep in pods]
            open_pods = [(n, ft) for n, ft in open_pods if not ft.denied]
            if not open_pods:
                continue
            for _, ft in open_pods:
                if ft.opened_by is not None:
                    dirs = openers.setdefault(ft.opened_by, [])
                    if direction.value not in dirs:
                        dirs.append(direction.value)
            if all(ft.opened_by is not None for _, ft in open_pods):
                # Every open pod is opened by a rule that allows everything: a default
                # deny would change nothing; what is open is said by policy.
                opened.append(direction.value)
            else:
                missing.append(direction.value)
            reasons: dict[str, list[str]] = {}
            for name, ft in open_pods:
                reasons.setdefault(ft.why, []).append(name)
            for why, names in sorted(reasons.items()):
                evidence.append(
                    f"{direction.value}: {len(names)} of {len(pods)} pod(s) open, {why}: "
                    + first_items(names, 3)
                )
        if not missing and not opened:
            return None
        namespace = platform.namespace(ns)
        source = namespace.meta.source if namespace is not None else None
        by_dirs: dict[str, list[str]] = {}
        for policy, dirs in sorted(openers.items()):
            by_dirs.setdefault(" and ".join(dirs), []).append(policy)
        wide = "; ".join(
            f"{policies[0]} allows all {dirs} traffic of the pods it selects"
            if len(policies) == 1
            else f"{len(policies)} policies ({first_items(policies, 3)}) allow all {dirs} "
            "traffic of the pods they select"
            for dirs, policies in sorted(by_dirs.items())
        )
        if not missing:
            return self.finding(
                ObjectRef("Namespace", ns),
                f"in namespace {ns}, {wide}: what no rule names is open there, and a default "
                "deny would not close it",
                source,
                evidence=evidence,
                fix="narrow those policies to the peers and ports the pods need, unless they "
                "must be open to everyone",
                severity=Severity.LOW,
            )
        both = " and ".join(missing)
        return self.finding(
            ObjectRef("Namespace", ns),
            f"namespace {ns} has no default deny for {both}: traffic no policy names is allowed"
            + (f"; {wide}" if wide else ""),
            source,
            evidence=evidence,
            fix=f"add a NetworkPolicy in {ns} with podSelector {{}} and policyTypes "
            f"[{', '.join(m.capitalize() for m in missing)}] and no rules, then allow "
            "what the pods need",
        )
