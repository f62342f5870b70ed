"""NET005 and NET006 work on blocks of alike peers and on selector set algebra;
here they are compared with the plain pair-by-pair definitions (every subject
class against every peer class, each peer judged on its own representative)
on the demo and on seeded random platforms with Calico tiers, Pass, Deny,
notPorts, nets, network sets, service accounts and named ports."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ekstwin.engines.checks import CheckContext, run_checks
from ekstwin.engines.net import Granularity, NetModel, matrix
from ekstwin.engines.net.checks import calico_rule_shadowed as shadowed
from ekstwin.engines.net.checks.calico_rule_shadowed import CalicoRuleShadowed
from ekstwin.engines.net.checks.redundant_policy import (
    RedundantPolicy,
    _names_the_unknown,
    _without,
    is_default_deny,
)
from ekstwin.engines.net.connections import ConnectionSet
from ekstwin.engines.net.lint import (
    EndpointClass,
    LintModel,
    Walked,
    judged_at_l4,
    reaching,
    walk,
)
from ekstwin.engines.net.matrix import pod_flow_count
from ekstwin.engines.net.policies import CompiledPolicy, CompiledRule, Direction
from ekstwin.engines.net.tiers import Applicable, applicable, evaluate
from ekstwin.findings import Finding
from ekstwin.loaders import load
from ekstwin.model.calico import Action
from ekstwin.model.platform import Platform
from tests.engines.conftest import Builder

DEMO = str(Path(__file__).resolve().parents[3] / "examples" / "demo-platform")


# --------------------------------------------------------------------------- platforms


def _random_platform(seed: int) -> str:
    rng = random.Random(seed)
    docs: list[dict[str, Any]] = []
    namespaces = [f"ns{i}" for i in range(4)]
    for i, ns in enumerate(namespaces):
        labels = {"env": "prod" if i % 2 else "dev", "team": f"t{i % 3}"}
        docs.append({"apiVersion": "v1", "kind": "Namespace",
                     "metadata": {"name": ns, "labels": labels}})  # fmt: skip
        for a in range(3):
            docs.append(
                {
                    "apiVersion": "v1",
                    "kind": "ServiceAccount",
                    "metadata": {"name": f"sa{a}", "namespace": ns,
                                 "labels": {"role": ["web", "api", "db"][a]}},
                }
            )  # fmt: skip
    n = 0
    for ns in namespaces:
        for j in range(rng.randint(3, 6)):
            tier = rng.choice(["web", "api", "db"])
            ports: list[dict[str, Any]] = [
                {"name": "http", "containerPort": rng.choice([8080, 8443])}
            ]
            if tier == "db":
                ports.append({"name": "pg", "containerPort": 5432})
            docs.append(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "name": f"p{j}",
                        "namespace": ns,
                        "labels": {"tier": tier, "app": f"a{rng.randrange(3)}"},
                    },
                    "spec": {
                        "serviceAccountName": f"sa{rng.randrange(3)}",
                        "containers": [{"name": "c", "image": "x:1", "ports": ports}],
                    },
                    "status": {"podIP": f"198.18.0.{10 + n}"},
                }
            )
            n += 1
    selectors = ["tier == 'db'", "tier in {'api', 'db'}", "app != 'a1'", "all()",
                 "has(app) && tier != 'web'", "tier == 'web' || app == 'a2'"]  # fmt: skip
    peers: list[dict[str, Any]] = [
        {"selector": "tier == 'web'"},
        {"namespaceSelector": "env == 'dev'"},
        {"nets": ["198.18.0.0/28"]},
        {"notNets": ["198.18.0.16/29"]},
        {"serviceAccounts": {"selector": "role == 'api'"}},
        {"serviceAccounts": {"names": ["sa0"]}},
        {"selector": "feed == 'partners'"},
        {},
    ]
    ports = [{}, {"ports": [8080]}, {"notPorts": [5432]}, {"ports": ["http"]},
             {"ports": ["8000:9000"]}]  # fmt: skip
    docs.append({"apiVersion": "projectcalico.org/v3", "kind": "Tier",
                 "metadata": {"name": "sec"}, "spec": {"order": 100}})  # fmt: skip
    docs.append(
        {
            "apiVersion": "projectcalico.org/v3",
            "kind": "GlobalNetworkSet",
            "metadata": {"name": "partners", "labels": {"feed": "partners"}},
            "spec": {"nets": ["203.0.113.0/28"]},
        }
    )
    for k in range(rng.randint(5, 9)):
        rules = []
        direction = rng.choice(["ingress", "egress"])
        for _ in range(rng.randint(1, 4)):
            action = rng.choice(["Allow", "Allow", "Deny", "Pass", "Log"])
            rule: dict[str, Any] = {"action": action}
            if rng.random() < 0.6:
                rule["protocol"] = rng.choice(["TCP", "UDP"])
                peer = dict(rng.choice(peers))
                peer.update(rng.choice(ports))
                if direction == "ingress":
                    rule["source"] = {k: v for k, v in peer.items() if "orts" not in k}
                    rule["destination"] = {k: v for k, v in peer.items() if "orts" in k}
                else:
                    rule["destination"] = peer
            rules.append(rule)
        tier = rng.choice(["sec", "default"])
        spec: dict[str, Any] = {
            "tier": tier,
            "order": rng.choice([10, 20, 20, 1000, 1500]),
            "selector": rng.choice(selectors),
            "types": [direction.capitalize()],
            direction: rules,
        }
        if rng.random() < 0.3:
            spec["namespaceSelector"] = "env == 'prod'"
        if rng.random() < 0.2:
            spec["serviceAccountSelector"] = "role != 'web'"
        namespaced = rng.random() < 0.3
        meta: dict[str, Any] = {"name": f"{tier}.p{k}" if tier != "default" else f"p{k}"}
        if namespaced:
            meta["namespace"] = rng.choice(namespaces)
            spec.pop("namespaceSelector", None)
        kind = "NetworkPolicy" if namespaced else "GlobalNetworkPolicy"
        docs.append({"apiVersion": "projectcalico.org/v3", "kind": kind,
                     "metadata": meta, "spec": spec})  # fmt: skip
    for k in range(rng.randint(3, 6)):
        ns = rng.choice(namespaces)
        ns_peer: dict[str, Any] = rng.choice(
            [
                {"podSelector": {"matchLabels": {"tier": "web"}}},
                {"namespaceSelector": {"matchLabels": {"env": "prod"}}},
                {"ipBlock": {"cidr": "198.18.0.0/27", "except": ["198.18.0.12/30"]}},
            ]
        )
        docs.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": f"np{k}", "namespace": ns},
                "spec": {
                    "podSelector": {"matchLabels": {"tier": rng.choice(["api", "db"])}},
                    "ingress": [{"from": [ns_peer], "ports": [{"port": rng.choice([8080, "pg"])}]}],
                },
            }
        )
    return yaml.safe_dump_all(docs, sort_keys=False)


def _platforms(build: Builder) -> Iterator[Platform]:
    yield load([DEMO]).platform
    for seed in range(6):
        yield build(_random_platform(seed))


# --------------------------------------------------------------------------- references


def _matches(lm: LintModel, rule: CompiledRule, c: EndpointClass) -> bool:
    return rule.peer.matches(c.rep, lm.ctx)


def _peer_test(lm: LintModel, c: EndpointClass) -> Callable[[CompiledRule], bool]:
    return lambda rule: _matches(lm, rule, c)


def _shadowed_pairwise(lm: LintModel, check: CalicoRuleShadowed) -> list[Finding]:
    """NET005 by its definition: every (subject, peer) pair walked on its own."""
    found = []
    for _, p in lm.policies():
        if p.calico is None:
            continue
        subjects = [c for c in lm.pod_classes() if p.selects(c.rep, lm.ctx)]
        for direction in (Direction.INGRESS, Direction.EGRESS):
            if direction not in p.types:
                continue
            for r in p.rules(direction):
                if not judged_at_l4(r):
                    continue
                out = shadowed._Outcome()
                for x in subjects:
                    if not r.subject_matches(x.rep, lm.ctx) or out.live:
                        continue
                    tiers = lm.applicable(x.rep, direction)
                    for y in lm.classes:
                        if (y is x and len(x.members) < 2) or not _matches(lm, r, y):
                            continue
                        dst = x.rep if direction is Direction.INGRESS else y.rep
                        wanted = r.conns(dst)
                        if wanted.is_empty:
                            continue
                        out.pairs += 1
                        reach = reaching(tiers, r, _peer_test(lm, y), dst)
                        if not reach.undecided.is_empty:
                            out.live = True
                            break
                        out.traffic = out.traffic | wanted
                        if x not in out.subjects:
                            out.subjects.append(x)
                        if y not in out.peers:
                            out.peers.append(y)
                        for d in reach.deciders:
                            out.deciders[d] = None
                if not out.live and out.pairs:
                    found.append(check._finding(p, r, out))
    return found


def _flow_pairwise(
    lm: LintModel, s: EndpointClass, d: EndpointClass, without: CompiledPolicy | None
) -> ConnectionSet:
    def side(subject: EndpointClass, peer: EndpointClass, direction: Direction) -> ConnectionSet:
        if not subject.is_pod:
            return ConnectionSet.all()
        tiers = lm.applicable(subject.rep, direction, without)
        dst = subject.rep if direction is Direction.INGRESS else peer.rep
        return walk(tiers, lambda r: _matches(lm, r, peer), dst)

    return side(s, d, Direction.EGRESS) & side(d, s, Direction.INGRESS)


def _redundant_pairwise(lm: LintModel, check: RedundantPolicy) -> list[Finding]:
    """NET006 by its definition: every flow from and to the policy's pods compared
    with and without it, then the whole pod matrix of the platform without it."""
    found = []
    base = matrix(lm.model, Granularity.POD)
    for _, p in lm.policies():
        if is_default_deny(p) or any(r.action is Action.LOG for r in p.ingress + p.egress):
            continue
        if _names_the_unknown(lm, p):
            continue  # what it allows is not in the input: not judged (NET002 says so)
        selected = lm.selected_classes(p)
        changes = False
        for x in selected:
            for y in lm.classes:
                if y is x and len(x.members) < 2:
                    continue
                for s, d in ((x, y), (y, x)):
                    here = Direction.EGRESS if s is x else Direction.INGRESS
                    if here in p.types and _flow_pairwise(lm, s, d, None) != _flow_pairwise(
                        lm, s, d, p
                    ):
                        changes = True
        if selected and not changes:
            reduced = matrix(NetModel(_without(lm.platform, p)), Granularity.POD)
            assert reduced == base  # the flows say so, the engine agrees
            assert pod_flow_count(lm.model) == len(base.flows)
            found.append(check._finding(lm, p, selected, len(base.flows)))
    return found


# --------------------------------------------------------------------------- tests


def test_peer_bits_are_each_class_judged_on_its_representative(build: Builder) -> None:
    for platform in _platforms(build):
        lm = LintModel(platform)
        for _, p in lm.policies():
            for r in p.ingress + p.egress:
                expected = sum(1 << c.index for c in lm.classes if _matches(lm, r, c))
                assert lm.peer_bits(r) == expected, (p.id, r.direction, r.index)


def test_calico_rule_shadowed_equals_the_pairwise_definition(build: Builder) -> None:
    reported = 0
    for platform in _platforms(build):
        got = run_checks(platform, CheckContext(), [CalicoRuleShadowed]).findings
        want = _shadowed_pairwise(LintModel(platform), CalicoRuleShadowed())
        assert sorted(got, key=repr) == sorted(want, key=repr)
        reported += len(got)
    assert reported >= 10  # the platforms do shadow rules


def test_redundant_policy_equals_the_pairwise_definition(build: Builder) -> None:
    reported = 0
    for platform in _platforms(build):
        run = run_checks(platform, CheckContext(), [RedundantPolicy])
        assert run.diagnostics == ()
        want = _redundant_pairwise(LintModel(platform), RedundantPolicy())
        assert sorted(run.findings, key=repr) == sorted(want, key=repr)
        reported += len(run.findings)
    assert reported >= 5


@pytest.mark.parametrize("seed", [11, 12])
def test_side_blocks_cover_every_class_once(build: Builder, seed: int) -> None:
    lm = LintModel(build(_random_platform(seed)))
    for c in lm.pod_classes():
        for direction in Direction:
            blocks = lm.side(c, direction)
            union = 0
            for bits, _ in blocks:
                assert union & bits == 0
                union |= bits
            assert union == lm.all_bits


def _ids(tiers: Applicable) -> list[tuple[int, list[tuple[int, list[int]]]]]:
    return [(id(t), [(id(p), [id(r) for r in rules]) for p, rules in ps]) for t, ps in tiers]


def test_applicable_and_selection_equal_their_definitions(build: Builder) -> None:
    """The lint model's indexes (classes by namespace and label, each class's
    selecting policies, one object per answer) change no answer."""
    for platform in _platforms(build):
        lm = LintModel(platform)
        for _, p in lm.policies():
            want = [
                c
                for c in lm.pod_classes()
                if (p.namespace is None or c.rep.namespace == p.namespace)
                and p.selects(c.rep, lm.ctx)
            ]
            assert lm.selected_classes(p) == want, p.id
        for c in lm.pod_classes():
            for direction in Direction:
                selecting = (
                    (tier, p)
                    for tier, p in lm.policies()
                    if direction in p.types and p.selects(c.rep, lm.ctx)
                )
                want_tiers = applicable(selecting, c.rep, direction, lm.ctx)
                assert _ids(lm.applicable(c.rep, direction)) == _ids(want_tiers)
        namespaces = sorted({c.rep.namespace for c in lm.pod_classes() if c.rep.namespace})
        for k in range(len(namespaces) + 1):
            names = frozenset(namespaces[:k])
            want_in = [
                c
                for c in lm.pod_classes()
                if c.rep.namespace in names or c.rep.namespace not in lm.ns_labels
            ]
            assert list(lm.pod_classes_in(names)) == want_in


def test_a_recorded_walk_answers_what_reaching_answers_for_every_rule(build: Builder) -> None:
    compared = 0
    for platform in [*_platforms(build)][:4]:
        lm = LintModel(platform)
        stranger = next(r for _, p in lm.policies() for r in p.ingress + p.egress)
        for x in lm.pod_classes():
            for direction in Direction:
                tiers = lm.applicable(x.rep, direction)
                rules = [r for _, ps in tiers for _, rs in ps for r in rs]
                if stranger not in rules:
                    rules.append(stranger)  # a rule the walk never comes to
                for y in lm.classes:
                    dst = x.rep if direction is Direction.INGRESS else y.rep
                    test = _peer_test(lm, y)
                    walked = Walked(tiers, test, dst)
                    for r in rules:
                        want = reaching(tiers, r, test, dst)
                        assert walked.reach(r, r.conns(dst)) == want, (x.index, y.index)
                        compared += 1
    assert compared >= 1000


def _walk_by_evaluate(
    tiers: Applicable, peer_ok: Callable[[CompiledRule], bool], dst: EndpointClass
) -> ConnectionSet:
    """walk() by its definition: evaluate() with a take() that skips Log rules and
    rules whose peer does not match, then the profile's allow of what is left."""

    def take(r: CompiledRule) -> ConnectionSet | None:
        if r.action is Action.LOG or not peer_ok(r):
            return None
        return r.conns(dst.rep)

    allowed, profile = evaluate(tiers, take, ConnectionSet.all())
    return allowed | profile


def test_the_written_out_walk_is_evaluate_without_observers(build: Builder) -> None:
    """Every (pod class, direction, peer class) of the demo and of random
    platforms with Calico tiers, Pass, Deny, Log and notPorts: the same connections."""
    walks = 0
    for platform in _platforms(build):
        lm = LintModel(platform)
        memo: dict[tuple[int, ...], tuple[ConnectionSet, ...]] = {}
        for c in lm.pod_classes():
            for direction in Direction:
                tiers = lm.applicable(c.rep, direction)
                for peer in lm.classes:
                    dst = c if direction is Direction.INGRESS else peer
                    test = _peer_test(lm, peer)
                    want = _walk_by_evaluate(tiers, test, dst)
                    assert walk(tiers, test, dst.rep) == want
                    # with a memo kept over every walk of the platform, as the lint model does
                    assert walk(tiers, test, dst.rep, memo=memo) == want
                    walks += 1
        assert memo
    assert walks > 1000
