"""NET005."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.net.connections import ConnectionSet
from ekstwin.engines.net.lint import (
    Applicable,
    EndpointClass,
    LintModel,
    Reach,
    Walked,
    first_items,
    judged_at_l4,
    lint_model,
    policy_ref,
    rule_location,
)
from ekstwin.engines.net.policies import CompiledPolicy, CompiledRule, Direction
from ekstwin.engines.net.tiers import refine_blocks
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform


class _Outcome:
    """What evaluation does with one rule's traffic over every pair it could match."""

    def __init__(self) -> None:
        self.pairs = 0
        self.live = False
        self.deciders: dict[str, None] = {}
        self.traffic = ConnectionSet.none()
        #: in order of first appearance: every peer class, or (when ``peers_seen`` is
        #: set) the first :data:`_SHOWN` of the classes ``peers_seen`` holds
        self.peers: list[EndpointClass] = []
        self.peers_seen = 0
        self.subjects: list[EndpointClass] = []


#: How many subjects and peers a finding names.
_SHOWN = 3

#: For one subject: (peer class bits, the rule's connections, what reaches the rule).
_Blocks = tuple[tuple[int, ConnectionSet, Reach | None], ...]


class _Met:
    """What one subject's blocks give when the subject is not among its own peers:
    the peers some traffic of the rule comes from (or goes to), those for which some
    of it arrives at the rule undecided, the rule's connections met, and what
    decided them (in the order of each block's lowest peer class)."""

    __slots__ = ("blocks", "deciders", "live", "merged", "peers", "wanted")

    def __init__(self, blocks: _Blocks) -> None:
        self.blocks = blocks
        self.peers = 0
        self.live = 0
        met: list[tuple[int, Reach]] = []
        self.wanted: list[ConnectionSet] = []
        for bits, wanted, reach in blocks:
            if not bits or reach is None:
                continue
            self.peers |= bits
            if not reach.undecided.is_empty:
                self.live |= bits
            self.wanted.append(wanted)
            met.append((bits & -bits, reach))
        met.sort(key=lambda m: m[0])
        self.deciders = tuple(d for _low, reach in met for d in reach.deciders)
        #: whether ``wanted`` and ``deciders`` were added to an outcome already
        self.merged = False


class _Prefixes:
    """What evaluation meets before a rule (the tiers, their ends, the rules before
    it), as one number per distinct sequence: subjects whose tiers hold the same
    before a rule see the same thing happen to its traffic. The sequences of every
    subject's tiers share their common beginnings (a trie over tier and rule ids)."""

    def __init__(self) -> None:
        self._nodes: dict[tuple[int, object], int] = {}
        #: by the (interned) tiers: the node before each rule, and the node at the end
        self._tiers: dict[int, tuple[dict[int, int], int]] = {}

    def _next(self, node: int, token: object) -> int:
        got = self._nodes.get((node, token))
        if got is None:
            got = self._nodes[(node, token)] = len(self._nodes) + 1
        return got

    def before(self, tiers: Applicable, target: CompiledRule) -> int:
        got = self._tiers.get(id(tiers))
        if got is None:
            at: dict[int, int] = {}
            node = 0
            for tier, pols in tiers:
                node = self._next(node, ("tier", id(tier)))
                for _p, rules in pols:
                    for q in rules:
                        at.setdefault(id(q), node)
                        node = self._next(node, q.uid)
            got = self._tiers[id(tiers)] = (at, node)
        at, end = got
        return at.get(id(target), end)


#: A pair's recorded walk, by (the subject's tiers, the peer class, the named ports of
#: the destination): what reaches any rule of the tiers is read off it.
_Walks = dict[tuple[int, int, tuple[tuple[str, str, int], ...]], Walked]


class _Shared:
    """What the rules of one run share: the lint model, the recorded walks and the
    prefixes of every subject's tiers."""

    def __init__(self, lm: LintModel) -> None:
        self.lm = lm
        self.walks: _Walks = {}
        self.prefixes = _Prefixes()


def _blocks(
    shared: _Shared, r: CompiledRule, x: EndpointClass, tiers: Applicable, direction: Direction
) -> _Blocks:
    """The peers ``r`` matches, split into blocks that every rule before ``r`` (and
    the destination's named ports) treats alike, each with what reaches ``r``
    (read off the walk of the block's first class, shared by every rule)."""
    lm, walks = shared.lm, shared.walks
    blocks = [lm.peer_bits(r)] if lm.peer_bits(r) else []
    for _tier, pols in tiers:
        for _p, rules in pols:
            for q in rules:
                if q is r:
                    break
                if judged_at_l4(q):
                    blocks = refine_blocks(blocks, lm.peer_bits(q))
    if direction is Direction.EGRESS:
        for bits in lm.named_port_groups():
            blocks = refine_blocks(blocks, bits)
    out: list[tuple[int, ConnectionSet, Reach | None]] = []
    for block in blocks:
        rep = (block & -block).bit_length() - 1
        dst = x.rep if direction is Direction.INGRESS else lm.classes[rep].rep
        wanted = lm.rule_conns(r, dst)
        reach = None
        if not wanted.is_empty:
            key = (id(tiers), rep, dst.named_ports)
            walked = walks.get(key)
            if walked is None:
                walked = walks[key] = Walked(tiers, _peer_test(lm, rep), dst, lm.rule_conns)
            reach = walked.reach(r, wanted)
        out.append((block, wanted, reach))
    return tuple(out)


def _peer_test(lm: LintModel, index: int) -> Callable[[CompiledRule], bool]:
    def test(rule: CompiledRule) -> bool:
        return bool(lm.peer_bits(rule) >> index & 1)

    return test


def _outcome(
    shared: _Shared, r: CompiledRule, subjects: list[EndpointClass], direction: Direction
) -> _Outcome:
    lm, prefixes = shared.lm, shared.prefixes
    out = _Outcome()
    memo: dict[tuple[object, ...], _Met] = {}
    traffic: dict[int, ConnectionSet] = {}  # the rule's connections met, by identity
    seen_peers = 0
    for x in subjects:
        if not r.subject_matches(x.rep, lm.ctx):
            continue
        tiers = lm.applicable(x.rep, direction)
        # What evaluation does before ``r`` depends on the rules and tiers before it,
        # which earlier rules each peer matches and the destination's named ports:
        # subjects alike in the first share the blocks of peers alike in the rest.
        key = (
            prefixes.before(tiers, r),
            x.rep.named_ports if direction is Direction.INGRESS else (),
        )
        met = memo.get(key)
        if met is None:
            met = memo[key] = _Met(_blocks(shared, r, x, tiers, direction))
        # a pod reaching itself is never filtered: a class of one is no peer of itself
        skip = 1 << x.index if len(x.members) < 2 else 0
        if met.peers & skip:
            peers = _subject_blocks(out, met.blocks, skip, traffic)
            if out.live:
                return out
        else:  # the subject is none of its peers: the blocks' summary is its answer
            if met.live:
                out.live = True
                return out
            peers = met.peers
            if peers:
                out.pairs += peers.bit_count()
                if not met.merged:
                    met.merged = True
                    for wanted in met.wanted:
                        traffic[id(wanted)] = wanted
                    for d in met.deciders:
                        out.deciders[d] = None
        if not peers:
            continue
        out.subjects.append(x)
        new = peers & ~seen_peers
        seen_peers |= new
        while new and len(out.peers) < _SHOWN:
            low = new & -new
            out.peers.append(lm.classes[low.bit_length() - 1])
            new ^= low
    out.peers_seen = seen_peers
    for wanted in traffic.values():
        out.traffic = out.traffic | wanted
    return out


def _subject_blocks(
    out: _Outcome, blocks: _Blocks, skip: int, traffic: dict[int, ConnectionSet]
) -> int:
    """One subject's blocks without its own class (``skip``) among the peers: adds
    what they give to ``out`` (``out.live`` when some traffic arrives at the rule
    undecided) and returns the peers met."""
    met: list[tuple[int, Reach]] = []
    peers = 0
    for bits, wanted, reach in blocks:
        bits &= ~skip
        if not bits or reach is None:
            continue
        out.pairs += bits.bit_count()
        if not reach.undecided.is_empty:
            out.live = True
            return peers
        traffic[id(wanted)] = wanted
        peers |= bits
        met.append((bits & -bits, reach))
    if peers:
        for _low, reach in sorted(met, key=lambda m: m[0]) if len(met) > 1 else met:
            for d in reach.deciders:
                out.deciders[d] = None
    return peers


def _first_classes(classes: list[EndpointClass], limit: int, total: int = 0) -> str:
    """:func:`first_items` of the classes' descriptions, describing only those shown
    (``total``: how many there are when ``classes`` holds only the first ones)."""
    total = total or len(classes)
    shown = ", ".join(c.describe() for c in classes[:limit])
    return shown if total <= limit else f"{shown} and {total - limit} more"


class CalicoRuleShadowed(Check):
    """
    ## What it does
    Finds Calico rules (NetworkPolicy and GlobalNetworkPolicy) that can never
    match because everything they would match is decided before evaluation
    reaches them: by an earlier rule of the same policy, by a policy before
    it in the same tier (lower order, or same order and a name that sorts
    first; Kubernetes NetworkPolicies count at order 1000 in `default`), or
    by an earlier tier (an Allow or Deny there, or its end-of-tier drop).
    Allow, Deny and Pass decide; Log does not. A Pass in the same tier
    decides too: it sends the traffic past every later policy of the tier.

    The check is exact over the platform's endpoints: for every pod the
    policy selects and every peer the rule could match (pods, host-network
    pods, and one address for each stretch of addresses no CIDR of the
    platform splits), it computes with connection sets (protocol, port
    ranges) the part of the rule's traffic still undecided when evaluation
    arrives at the rule. The rule is reported only when that part is empty
    for every pair and the rule has traffic at all (a rule that matches
    nothing is NET002's business).

    Limits (each errs towards not reporting): earlier rules with `http`,
    `services`, `ipVersion: 6` or source ports are taken to decide nothing
    (the twin judges them at layer 4 or not at all), and such rules are
    never reported themselves. The verdict holds for the pods the platform
    has today: a new pod that a later rule names but an earlier one does not
    would make the rule live again.

    ## Why is this bad?
    A shadowed rule is dead code that reads like policy. An Allow that never
    matches hides a broken flow behind a rule that seems to permit it; a Deny
    that never matches gives a false sense of protection while an earlier
    Allow or Pass lets the traffic through.

    ## Example
    ```yaml
    egress:
      - action: Allow
        destination: {selector: all()}
      - action: Deny                       # never matches: rule 0 allowed it all
        destination: {selector: app == 'db'}
    ```

    ## Fix
    Move the specific rule before the broad one, narrow the earlier rule,
    lower the order of the policy holding the rule (or raise the other's),
    or delete the rule if the earlier decision is the intended one.

    ## References
    - Calico documentation: NetworkPolicy and GlobalNetworkPolicy (order, rule actions)
    - Calico documentation: Tier ("How policy is evaluated")
    """

    id = "NET005"
    slug = "calico-rule-shadowed"
    title = "Calico rule is shadowed: earlier rules or policies decide its traffic"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        lm = lint_model(platform, ctx)
        shared = _Shared(lm)
        for _, p in lm.policies():
            if p.calico is None:
                continue
            subjects = lm.selected_classes(p)
            if not subjects:
                continue
            for direction in (Direction.INGRESS, Direction.EGRESS):
                if direction not in p.types:
                    continue
                for r in p.rules(direction):
                    if not judged_at_l4(r):
                        continue
                    got = _outcome(shared, r, subjects, direction)
                    if got.live or got.pairs == 0:
                        continue
                    yield self._finding(p, r, got)

    def _finding(self, p: CompiledPolicy, r: CompiledRule, got: _Outcome) -> Finding:
        deciders = list(got.deciders)
        side = "from" if r.direction is Direction.INGRESS else "to"
        return self.finding(
            policy_ref(p),
            f"{p.id} (tier {p.tier}) {r.direction.value} rule {r.index} ({r.action.value}) "
            f"never matches: {first_items(deciders, 2)} decide(s) all of its traffic first",
            rule_location(p, r),
            evidence=[
                f"its traffic: {got.traffic} for {_first_classes(got.subjects, _SHOWN)} "
                f"{side} {_first_classes(got.peers, _SHOWN, got.peers_seen.bit_count())}",
                *(f"decided before it by {d}" for d in deciders),
            ],
            fix="move the rule before the rules that decide its traffic, change the "
            "policy order, or remove the rule",
            key=f"{r.direction.value}/{r.index}",
        )
