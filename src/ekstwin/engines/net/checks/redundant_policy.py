"""NET006."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.net.connections import ConnectionSet
from ekstwin.engines.net.lint import (
    EndpointClass,
    LintModel,
    SideBlocks,
    first_items,
    lint_model,
    policy_meta,
    policy_ref,
)
from ekstwin.engines.net.matrix import pod_flow_count
from ekstwin.engines.net.policies import CompiledPolicy, Direction
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.calico import Action
from ekstwin.model.platform import Platform
from ekstwin.model.selectors import All

#: Budget of comparisons of (selected class, group of peer classes) flows with and
#: without a policy.
MAX_PAIR_WORK = 20_000_000
#: Budget of walks through a selected class's ordered policies without one policy
#: (one per block of alike peers).
MAX_WALKS = 60_000


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


def _at(blocks: tuple[tuple[int, ConnectionSet], ...], index: int) -> ConnectionSet:
    """The connections of the block that holds class ``index``."""
    for bits, conns in blocks:
        if bits >> index & 1:
            return conns
    raise KeyError(index)  # blocks cover every class


def _differing(
    a: tuple[tuple[int, ConnectionSet], ...], b: tuple[tuple[int, ConnectionSet], ...]
) -> int:
    """The classes whose connections differ between two block covers."""
    out = 0
    for abits, aconns in a:
        for bbits, bconns in b:
            if abits & bbits and aconns != bconns:
                out |= abits & bbits
    return out


def _sole_policy(lm: LintModel, p: CompiledPolicy, selected: list[EndpointClass]) -> bool:
    """Whether ``p`` is the only policy that selects its pods, in each of its
    directions: without it they are not isolated, so it changes nothing only
    because it allows everything; it keeps them open under a later default deny."""
    return all(not lm.applicable(x.rep, d, p) for x in selected if x.is_pod for d in p.types)


def _names_the_unknown(lm: LintModel, p: CompiledPolicy) -> bool:
    """Whether an allow rule of ``p`` has a peer that matches no endpoint of the
    input: what it is for is not in the input (NET002 says so), so its removal
    changing nothing here says nothing about the cluster."""
    return any(r.action is Action.ALLOW and not lm.peer_bits(r) for r in p.ingress + p.egress)


def _denies(p: CompiledPolicy) -> bool:
    return any(r.action is Action.DENY for r in p.ingress + p.egress)


class _Budget:
    """Comparisons left, and walks of the ordered policies (``lm.walks``) left."""

    def __init__(self, lm: LintModel, limit: int, walks: int) -> None:
        self.left = limit
        self.lm = lm
        self.walks_until = lm.walks + walks

    def spend(self, n: int) -> bool:
        self.left -= n
        return self.left >= 0 and self.lm.walks <= self.walks_until


def _changes_something(
    lm: LintModel, p: CompiledPolicy, selected: list[EndpointClass], budget: _Budget
) -> bool | None:
    """Does removing ``p`` change a flow from or to a pod it selects (pods,
    host-network pods, and one address of every stretch no CIDR splits)?
    None when the budget ran out before the answer.

    A flow from ``s`` to ``d`` is what egress at ``s`` AND ingress at ``d`` allow.
    Without ``p`` only the sides of the classes ``p`` selects change, so for a
    selected class ``x`` the flows that may change are those to (from) the peers
    whose side at ``x`` changes, and those to (from) other selected classes. Peers
    are taken a block at a time: those alike at ``x`` with and without ``p`` and
    alike in their own side of the flow.
    """
    sel_bits = 0
    for x in selected:
        sel_bits |= 1 << x.index
    for here, there in (
        (Direction.EGRESS, Direction.INGRESS),
        (Direction.INGRESS, Direction.EGRESS),
    ):
        if here not in p.types:
            continue
        # The peers p selects for the other direction change their side too: they are
        # grouped by their side with and without p; the others by their side alone.
        own = 0
        own_groups: dict[tuple[int, int], tuple[int, SideBlocks, SideBlocks]] = {}
        if there in p.types:
            own = sel_bits
            for y in selected:
                theirs, theirs_without = lm.side(y, there), lm.side(y, there, p)
                key = (id(theirs), id(theirs_without))
                bits, _, _ = own_groups.get(key, (0, theirs, theirs_without))
                own_groups[key] = (bits | (1 << y.index), theirs, theirs_without)
        groups = lm.side_groups(there)
        for x in selected:
            self_bit = 1 << x.index if len(x.members) < 2 else 0
            with_p, without = lm.side(x, here), lm.side(x, here, p)
            far_at: dict[int, ConnectionSet] = {}  # a group's side towards x, once per x
            if not budget.spend(1):
                return None
            for bits, near in with_p:
                for bits_without, near_without in without:
                    cell = bits & bits_without & ~self_bit
                    if not cell:
                        continue
                    mine = cell & own
                    if mine:
                        if not budget.spend(len(own_groups)):
                            return None
                        for gbits, far_blocks, far_blocks_without in own_groups.values():
                            if not mine & gbits:
                                continue
                            far = _at(far_blocks, x.index)
                            far_without = _at(far_blocks_without, x.index)
                            if (near != near_without or far != far_without) and (
                                near & far != near_without & far_without
                            ):
                                return True
                    rest = cell & ~own
                    if not rest or near == near_without:
                        continue  # a flow changes only where a side does
                    if not budget.spend(len(groups)):
                        return None
                    for gbits, far_blocks in groups:
                        if rest & gbits:
                            towards = far_at.get(id(far_blocks))
                            if towards is None:
                                towards = far_at[id(far_blocks)] = _at(far_blocks, x.index)
                            if near & towards != near_without & towards:
                                return True
    return False


class RedundantPolicy(Check):
    """
    ## What it does
    Finds policies whose removal changes no allowed connection. For each
    policy that selects a pod, it compares, with connection sets, every flow
    from and to the pods the policy selects (to and from other pods,
    host-network pods, and one address for each stretch of addresses that
    no CIDR of the platform splits) with and without the policy; flows
    between other endpoints cannot change. Peers are compared a group at a
    time: those that the policies at the selected pod treat alike, with and
    without the policy, and whose own policies treat the pod alike; only the
    peers whose side of the flow changes (or that the policy selects too)
    are looked at.

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

    Cost bound: the check stops when its comparisons of a selected class's
    flows with and without a policy (one per group of alike peers) would
    exceed 20 million in all, or its walks through a class's ordered
    policies 60,000; the policy it stopped at is named in a warning of the
    report (code `check-incomplete`), and the policies from it on are not
    reported.

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
        budget = _Budget(lm, MAX_PAIR_WORK, MAX_WALKS)
        flows: int | None = None
        for p, selected in candidates:
            changes = _changes_something(lm, p, selected, budget)
            if changes is None:
                self.incomplete(
                    f"stopped at {p.id}: the budget of flow comparisons and walks is spent; "
                    "the policies from it on were not looked at",
                    "run `ekstwin net lint` on a part of the platform to look at the rest",
                )
                return
            if not changes:
                if flows is None:
                    flows = pod_flow_count(lm.model)
                yield self._finding(lm, p, selected, flows)

    def _finding(
        self, lm: LintModel, p: CompiledPolicy, selected: list[EndpointClass], flows: int
    ) -> Finding:
        pods = sorted(m.name for c in selected for m in c.members)
        directions = " and ".join(sorted(d.value for d in p.types))
        meta = policy_meta(p)
        evidence = [
            f"selects for {directions}: {first_items(pods, 3)}",
            f"pod-level matrix with and without it: the same {flows} flow(s)",
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
