"""Network ACL rules judged alone (engines/vpc/rules.py): a port range that
only a part of is allowed is denied, naming every port dropped."""

from __future__ import annotations

from ekstwin.engines.vpc.rules import AclJudgement, ip_int, judge_acl
from ekstwin.model.vpc import NetworkAcl

from .world import VPC, entry, src


def _judge(*entries: tuple[int, str, str, str, int | None, int | None]) -> AclJudgement:
    made = tuple(
        entry(n, False, action, proto, cidr, lo, hi, line=600 + n)
        for n, action, proto, cidr, lo, hi in entries
    )
    acl = NetworkAcl("acl-x", VPC, entries=made, subnet_ids=("subnet-a",), source=src(600))
    return judge_acl(
        acl, made, egress=False, protocol="6", ports=(1024, 65535),
        peer=ip_int("203.0.113.5"), peer_text="internet",
    )  # fmt: skip


def test_a_deny_taking_part_of_the_range_before_an_allow_all_denies_the_range() -> None:
    got = _judge(
        (10, "deny", "6", "203.0.113.0/24", 32768, 60999),
        (100, "allow", "-1", "0.0.0.0/0", None, None),
    )
    assert got == AclJudgement(
        False,
        "acl-x inbound allows only 1024-32767,61000-65535 of tcp 1024-65535 from internet; "
        "rule 10 drops 32768-60999",
        src(610),
        ((1024, 32767), (61000, 65535)),
    )


def test_every_dropping_entry_and_the_final_rule_are_named() -> None:
    got = _judge(
        (10, "deny", "6", "203.0.113.0/24", 2000, 2999),
        (20, "deny", "-1", "203.0.113.16/28", None, None),  # not the peer
        (100, "allow", "6", "0.0.0.0/0", 1024, 40000),
    )
    assert got == AclJudgement(
        False,
        "acl-x inbound allows only 1024-1999,3000-40000 of tcp 1024-65535 from internet; "
        "rule 10 drops 2000-2999; the final * rule drops 40001-65535",
        src(610),
        ((1024, 1999), (3000, 40000)),
    )


def test_the_whole_range_allowed_passes_with_the_allowing_rule() -> None:
    got = _judge(
        (10, "deny", "6", "203.0.113.0/24", 22, 22),
        (100, "allow", "-1", "0.0.0.0/0", None, None),
    )
    assert got == AclJudgement(
        True,
        "acl-x inbound rule 100 allows tcp 1024-65535 from internet",
        src(700),
        ((1024, 65535),),
    )
