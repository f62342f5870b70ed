"""NET006."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.net import Granularity, Matrix, NetModel, matrix
from ekstwin.engines.net.connections import ConnectionSet
from ekstwin.engines.net.lint import (
    EndpointClass,
    LintModel,
    first_items,
    lint_model,
    policy_meta,
    policy_ref,
    walk,
)
from ekstwin.engines.net.policies import CompiledPolicy, Direction
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.calico import Action
from ekstwin.model.platform import Platform
from ekstwin.model.selectors import All

#: Above this many endpoints (pods), the check does not run.
MAX_ENDPOINTS = 2000
#: Above this many policies that select a pod, the check does not run.
MAX_POLICIES = 400
#: Budget for the engine's matrix recomputations: endpoints squared times recomputations.
MAX_MATRIX_WORK = 20_000_000


def _without(platform: Platform, p: CompiledPolicy) -> Platform:
    if p.k8s is not None:
        rest = tuple(x for x in platform.network_policies if x is not p.k8s)
        return replace(platform, network_policies=rest)
    return replace(
        platform, calico_policies=tuple(x for x in platform.calico_policies if x is not p.calico)
    )


def is_default_deny(p: CompiledPolicy) -> bool:
    """A select-all policy without rules: kept for the pods a namespace will run."""
    if p.ingress or p.egress:
        return False
    if p.k8s is not None:
        return p.k8s.pod_selector.is_empty
    assert p.calico is not None
    return isinstance(p.calico.selector, All) and p.calico.service_account_selector is None


def _side(
    lm: LintModel,
    subject: EndpointClass,
    peer: EndpointClass,
    direction: Direction,
    without: CompiledPolicy | None,
) -> ConnectionSet:
    if not subject.is_pod:
        return ConnectionSet.all()  # not enforced at a host or outside address
    tiers = lm.applicable(subject.rep, direction, without)
    dst = subject.rep if direction is Direction.INGRESS else peer.rep
    return walk(tiers, lambda r: lm.peer_matches(r, peer), dst)


def _flow(
    lm: LintModel, s: EndpointClass, d: EndpointClass, without: CompiledPolicy | None
) -> ConnectionSet:
    return _side(lm, s, d, Direction.EGRESS, without) & _side(lm, d, s, Direction.INGRESS, without)


def _sole_policy(lm: LintModel, p: CompiledPolicy, selected: list[EndpointClass]) -> bool:
    """Whether ``p`` is the only policy that selects its pods, in each of its
    directions: without it they are not isolated, so it changes nothing only
    because it allows everything; it keeps them open under a later default deny."""
    return all(not lm.applicable(x.rep, d, p) for x in selected if x.is_pod for d in p.types)


def _names_the_unknown(lm: LintModel, p: CompiledPolicy) -> bool:
    """Whether an allow rule of ``p`` has a peer that matches no endpoint of the
    input: what it is for is not in the input (NET002 says so), so its removal
    changing nothing here says nothing about the cluster."""
    return any(
        r.action is Action.ALLOW and not any(lm.peer_matches(r, y) for y in lm.classes)
        for r in p.ingress + p.egress
    )


def _denies(p: CompiledPolicy) -> bool:
    return any(r.action is Action.DENY for r in p.ingress + p.egress)


def _changes_something(lm: LintModel, p: CompiledPolicy, selected: list[EndpointClass]) -> bool:
    """Does removing ``p`` change a flow from or to a pod it selects (pods,
    host-network pods, and one address of every stretch no CIDR splits)?"""
    for x in selected:
        for y in lm.classes:
            if y is x and len(x.members) < 2:
                continue
            if Direction.EGRESS in p.types and _flow(lm, x, y, None) != _flow(lm, x, y, p):
                return True
            if Direction.INGRESS in p.types and _flow(lm, y, x, None) != _flow(lm, y, x, p):
                return True
    return False


class RedundantPolicy(Check):
    """
    ## What it does
    Finds policies whose removal changes no allowed connection. For each
    policy that selects a pod, it first compares, with connection sets, every
    flow from and to the pods the policy selects (to and from other pods,
    host-network pods, and one address for each stretch of addresses that
    no CIDR of the platform splits) with and without the policy. When
    nothing differs, it confirms with the net engine: the whole pod-level
    matrix of the platform against the matrix of the platform with the
    policy removed. Only a policy that passes both is reported.

    Not considered: policies that select no pod (NET001 reports them),
    policies with an allow rule whose peer matches nothing in the input
    (what it allows is not in the input, as a DNS rule to a `kube-system`
    the input lacks: NET002 reports it),
    policies with a `Log` rule (removing them changes what is logged), and
    default denies (a select-all selector and no rules: `podSelector: {}`,
    `selector: all()`), which protect the pods a namespace will run even
    when today's pods are all covered by other policies.
    Each reported policy is redundant on its own: two policies that repeat
    each other are both reported, and only one of them can go.

    Cost bound: the check does not run on platforms with more than 2,000
    endpoints (pods) or more than 400 policies that select a pod, and stops
    confirming with the engine when the confirmations would exceed 20
    million endpoint pairs in all; either is a warning in the report (code
    `check-incomplete`), and the policies not confirmed are not reported.

    ## Why is this bad?
    A redundant policy adds nothing but reading time, and misleads: people
    change it expecting an effect, or keep a copy of a rule alive in two
    places until one of them drifts. It often reveals a misunderstanding,
    such as an allow rule that another allow rule already covers, a second
    default deny, or a policy in a tier whose earlier policy passes all of
    its traffic away.

    ## Example
    ```yaml
    # allow-web-to-api allows TCP 8080 from app=web; allow-frontend-to-api
    # allows all TCP from the same pods: the first one changes nothing.
    ```

    Two kinds of policy change nothing today on purpose and are reported
    as defence in depth (severity info, and no advice to delete them):

    - a policy with `Deny` rules whose traffic other policies deny too (a
      guard rail in an earlier tier, such as a deny of the instance
      metadata address, that later tiers happen to repeat);
    - a policy that is the only one selecting its pods in its directions
      and allows all their traffic (Argo CD ships one for `argocd-server`):
      the pods are open with or without it, but it keeps them open when a
      default deny is added.

    ## Fix
    A redundant allow: delete the policy, or, if it states an intent the
    other policies only satisfy by accident, keep it and remove the broader
    rule instead. Defence in depth: keep it if that is its purpose.

    ## References
    - Kubernetes documentation: Network Policies (policies are additive)
    - Calico documentation: NetworkPolicy and GlobalNetworkPolicy (order and actions)
    """

    id = "NET006"
    slug = "redundant-policy"
    title = "Network policy is redundant: removing it changes no connection"
    severity = Severity.LOW
    confidence = Confidence.MEDIUM

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        lm = lint_model(platform, ctx)
        candidates: list[tuple[CompiledPolicy, list[EndpointClass]]] = []
        for _, p in lm.policies():
            if is_default_deny(p) or any(r.action is Action.LOG for r in p.ingress + p.egress):
                continue
            if _names_the_unknown(lm, p):
                continue
            selected = lm.selected_classes(p)
            if selected:
                candidates.append((p, selected))
        n = len(lm.endpoints)
        if n > MAX_ENDPOINTS or len(candidates) > MAX_POLICIES:
            self.incomplete(
                f"not run: {n} endpoints and {len(candidates)} policies selecting a pod "
                f"exceed its bound ({MAX_ENDPOINTS} endpoints, {MAX_POLICIES} policies); "
                "no NET006 finding does not mean no redundant policy",
                "run `ekstwin net lint` on a part of the platform (some namespaces' files) "
                "to look for redundant policies there",
            )
            return
        base: Matrix | None = None
        work = 0
        for p, selected in candidates:
            if _changes_something(lm, p, selected):
                continue
            work += n * n
            if work > MAX_MATRIX_WORK:
                self.incomplete(
                    f"stopped at {p.id}: the budget of pod-level comparisons is spent; "
                    "the policies after it were not looked at",
                    "run `ekstwin net lint` on a part of the platform to look at the rest",
                )
                return
            if base is None:
                base = matrix(lm.model, Granularity.POD)
            reduced = matrix(NetModel(_without(platform, p)), Granularity.POD)
            if reduced != base:
                continue
            yield self._finding(lm, p, selected, base)

    def _finding(
        self, lm: LintModel, p: CompiledPolicy, selected: list[EndpointClass], base: Matrix
    ) -> Finding:
        pods = sorted(m.name for c in selected for m in c.members)
        directions = " and ".join(sorted(d.value for d in p.types))
        meta = policy_meta(p)
        evidence = [
            f"selects for {directions}: {first_items(pods, 3)}",
            f"pod-level matrix with and without it: the same {len(base.flows)} flow(s)",
            "flows between its pods and every address range: the same",
        ]
        head = f"{p.id} (tier {p.tier})"
        if _denies(p):
            # A guard rail: another policy denies the same traffic today.
            evidence.append("it has Deny rules: other policies deny the same traffic today")
            return self.finding(
                policy_ref(p),
                f"{head} repeats what other policies already deny for the {len(pods)} pod(s) "
                "it selects: defence in depth, not a redundant allow",
                meta.source,
                evidence=evidence,
                fix="keep it if it is a guard rail meant to hold whatever the other policies "
                "become; otherwise make one of the two the single place of this deny",
                severity=Severity.INFO,
                key="defence-in-depth",
            )
        if _sole_policy(lm, p, selected):
            evidence.append(
                f"no other policy selects these pods for {directions}: without it they are "
                "not isolated, and it allows all their traffic"
            )
            return self.finding(
                policy_ref(p),
                f"{head} allows all {directions} traffic of the {len(pods)} pod(s) it selects, "
                "which no other policy selects: it changes nothing today but keeps them open "
                "if a default deny is added (defence in depth, not a redundant allow)",
                meta.source,
                evidence=evidence,
                fix="keep it if these pods must stay open under a future default deny; "
                "narrow its rules to the peers and ports they need",
                severity=Severity.INFO,
                key="defence-in-depth",
            )
        return self.finding(
            policy_ref(p),
            f"{head} is a redundant allow: removing it changes no allowed "
            f"connection of the {len(pods)} pod(s) it selects",
            meta.source,
            evidence=evidence,
            fix="delete the policy, or remove the broader rule that makes it redundant "
            "if this policy states the intent",
        )
