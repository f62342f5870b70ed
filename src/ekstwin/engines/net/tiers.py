"""Calico's ordered evaluation, once: which policies apply to an endpoint, in
which order, and what their rules decide.

- Tiers are evaluated by ``order`` (none last), then by name; within a tier the
  policies by ``order`` and the release's tie-break rule (compile_policies
  sorts each tier so). Only the tiers holding a policy that selects the
  endpoint in the direction are evaluated.
- Within them, rules in order: Allow and Deny are final, Log records and goes
  on, Pass leaves the tier and evaluation goes on at the next one.
- Traffic no rule of a tier decided meets the tier's end: its default action
  (Deny unless the tier says Pass).
- What passes the last tier is allowed by the namespace profile.

Every walk of the net engine (the explained decision of one flow, the
connections a pair may use, the lint's "what reaches this rule") is
:func:`evaluate` with its own view of the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ekstwin.engines.net.connections import ConnectionSet
from ekstwin.engines.net.endpoints import Endpoint
from ekstwin.engines.net.policies import (
    CompiledPolicy,
    CompiledRule,
    CompiledTier,
    Direction,
    MatchContext,
)
from ekstwin.model.calico import Action

__all__ = ["Applicable", "Step", "applicable", "evaluate", "peer_blocks", "refine_blocks", "walk"]

#: (tier, ((policy, its rules whose subject side matches), ...)), in evaluation order:
#: the tiers holding a policy that selects the endpoint, each with those policies.
Applicable = tuple[
    tuple[CompiledTier, tuple[tuple[CompiledPolicy, tuple[CompiledRule, ...]], ...]], ...
]


def applicable(
    selecting: Iterable[tuple[CompiledTier, CompiledPolicy]],
    ep: Endpoint,
    direction: Direction,
    ctx: MatchContext,
) -> Applicable:
    """Group the policies that select ``ep`` (given in evaluation order, with their
    tier) by tier, keeping those of ``direction``, each with its rules whose
    subject side (a Calico rule's ``source``/``destination`` on the policy's own
    side) matches ``ep``."""
    out: list[tuple[CompiledTier, list[tuple[CompiledPolicy, tuple[CompiledRule, ...]]]]] = []
    for tier, p in selecting:
        if direction not in p.types:
            continue
        rules = tuple(r for r in p.rules(direction) if r.subject_matches(ep, ctx))
        if not out or out[-1][0] is not tier:
            out.append((tier, []))
        out[-1][1].append((p, rules))
    return tuple((t, tuple(ps)) for t, ps in out)


@dataclass(frozen=True, slots=True)
class Step:
    """One decision met on the walk: ``rule`` of ``policy`` takes ``conns`` of the
    traffic still undecided with its ``action`` (a Log rule takes nothing: the
    traffic goes on); or, ``rule`` None, the end of ``tier`` takes what is left
    there with the tier's default action (``policy`` is the tier's last policy)."""

    tier: CompiledTier
    policy: CompiledPolicy
    rule: CompiledRule | None
    action: Action
    conns: ConnectionSet


def evaluate(
    tiers: Applicable,
    take: Callable[[CompiledRule], ConnectionSet | None],
    start: ConnectionSet,
    *,
    until: CompiledRule | None = None,
    seen: Callable[[Step], None] | None = None,
    arrive: Callable[[CompiledRule, ConnectionSet], None] | None = None,
) -> tuple[ConnectionSet, ConnectionSet]:
    """Walk ``tiers`` for the traffic ``start`` of one (subject, peer) pair.

    ``take(rule)`` is what the rule matches of that pair (None: it does not
    match, or decides nothing here). ``seen`` is told each :class:`Step` that
    decides some traffic, in order. Returns (what Allow rules let through, what
    is still undecided after the last tier, which the profile allows); with
    ``until``, the walk stops when it comes to that rule and the second part is
    what arrives there undecided (nothing when the walk never comes to it).
    ``arrive`` is told each rule the walk comes to, with the traffic still
    undecided then; with it the walk comes to every rule (as with ``until``).
    """
    remaining = start
    allowed = ConnectionSet.none()
    for tier, pols in tiers:
        passed = ConnectionSet.none()
        for p, rules in pols:
            for r in rules:
                if arrive is not None:
                    arrive(r, remaining)
                if r is until:
                    return allowed, remaining
                if remaining.is_empty and until is None and arrive is None:
                    break
                got = take(r)
                if got is None:
                    continue
                m = got & remaining
                if m.is_empty:
                    continue
                if seen is not None:
                    seen(Step(tier, p, r, r.action, m))
                if r.action is Action.LOG:
                    continue
                remaining = remaining - m
                if r.action is Action.ALLOW:
                    allowed = allowed | m
                elif r.action is Action.PASS:
                    passed = passed | m
        if not remaining.is_empty and pols:
            if seen is not None:
                seen(Step(tier, pols[-1][0], None, tier.default_action, remaining))
            if tier.default_action is Action.PASS:
                passed = passed | remaining
        remaining = passed
    if until is not None:  # never came to it: nothing arrives there
        return allowed, ConnectionSet.none()
    return allowed, remaining


def walk(
    tiers: Applicable,
    peer_ok: Callable[[CompiledRule], bool],
    dst: Endpoint,
    conns: Callable[[CompiledRule, Endpoint], ConnectionSet] | None = None,
    memo: dict[tuple[int, ...], tuple[ConnectionSet, ...]] | None = None,
) -> ConnectionSet:
    """The connections the ordered decisions allow for one (subject, peer) pair
    (``peer_ok``: whether a rule's peer side matches the peer; ``conns``: a rule's
    connections towards ``dst``, ``rule.conns(dst)`` unless given). ``memo``,
    kept by the caller over many walks, remembers what a rule's connections take
    of the traffic left and the unions made (each answer with the two sets it is
    of)."""
    # evaluate() without its observers, written out: the engines walk once per
    # (class, block of alike peers), the checks once more per policy left out.
    conns_of = conns or CompiledRule.conns
    remaining = ConnectionSet.all()
    allowed = ConnectionSet.none()
    for tier, pols in tiers:
        passed = ConnectionSet.none()
        for _, rules in pols:
            if remaining.is_empty:
                break
            for r in rules:
                action = r.action
                if action is Action.LOG or not peer_ok(r):
                    continue
                c = conns_of(r, dst)
                if memo is None:
                    m = c & remaining
                    if m.is_empty:
                        continue
                    remaining = remaining - m
                else:
                    # (what the rule takes, what is left): the same few sets meet again
                    key = (id(c), id(remaining))
                    got = memo.get(key)
                    if got is None or got[0] is not c or got[1] is not remaining:
                        m = c & remaining
                        got = memo[key] = (c, remaining, m, remaining - m)
                    m = got[2]
                    if m.is_empty:
                        continue
                    remaining = got[3]
                if action is Action.ALLOW:
                    allowed = allowed | m if memo is None else _union(memo, allowed, m)
                elif action is Action.PASS:
                    passed = passed | m if memo is None else _union(memo, passed, m)
                if remaining.is_empty:
                    break
        if not remaining.is_empty and pols and tier.default_action is Action.PASS:
            passed = passed | remaining if memo is None else _union(memo, passed, remaining)
        remaining = passed
    return allowed | remaining if memo is None else _union(memo, allowed, remaining)


def _union(
    memo: dict[tuple[int, ...], tuple[ConnectionSet, ...]], a: ConnectionSet, b: ConnectionSet
) -> ConnectionSet:
    """``a | b`` through walk()'s memo (each answer kept with the two sets it is of)."""
    if not a.parts:
        return b
    if not b.parts:
        return a
    key = (id(a), id(b), 0)
    got = memo.get(key)
    if got is None or got[0] is not a or got[1] is not b:
        got = memo[key] = (a, b, a | b)
    return got[2]


def refine_blocks(blocks: list[int], bits: int) -> list[int]:
    """Split each block (a bitset of classes) into its part inside ``bits`` and its
    part outside, keeping the order; empty parts are dropped."""
    if bits == 0:
        return blocks
    out = []
    for b in blocks:
        inside = b & bits
        if inside and inside != b:
            out.append(inside)
            out.append(b & ~bits)
        else:
            out.append(b)
    return out


def peer_blocks(
    tiers: Applicable,
    peers: int,
    peer_bits: Callable[[CompiledRule], int],
    named_port_groups: Callable[[], Iterable[int]],
    direction: Direction,
    *,
    logs: bool = False,
) -> list[int]:
    """The peer classes ``peers`` (a bitset) split into blocks that every rule of
    ``tiers`` treats alike: by each rule's peer side (``peer_bits``: the classes it
    matches; Log rules only with ``logs``) and, when an egress rule names ports, by
    the peers' named ports (``named_port_groups``). One walk per block then
    answers for every peer of it."""
    blocks = [peers]
    named = False
    seen: set[int] = set()
    for _, pols in tiers:
        for _, rules in pols:
            for r in rules:
                if r.action is Action.LOG and not logs:
                    continue
                bits = peer_bits(r)
                named = named or (direction is Direction.EGRESS and r.ports.uses_named_ports)
                if bits not in seen:
                    seen.add(bits)
                    blocks = refine_blocks(blocks, bits)
    if named:
        for bits in named_port_groups():
            blocks = refine_blocks(blocks, bits)
    return blocks
