"""ExternalDNS corners: trimmed domain filters, the AWS zone filter and
--aws-zone-match-parent, set identifiers and routing policies,
--txt-wildcard-replacement and --migrate-from-txt-owner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ekstwin.cli.main import main
from ekstwin.engines.dns import DnsOptions, DnsPlan, plan_dns
from ekstwin.model.platform import Platform
from tests.engines.dns.test_plan import aws, svc, txt
from tests.engines.ingress.builders import platform

IP = "203.0.113.7"
PREFIX = "external-dns.kubernetes.io/"


def run(p: Platform, **kw: object) -> DnsPlan:
    return plan_dns(p, DnsOptions(owner_id="prod", **kw))  # type: ignore[arg-type]


def brief(plan: DnsPlan) -> list[tuple[str, str, str, list[str]]]:
    return [(c.action.value, c.name, c.type, list(c.targets)) for c in plan.changes]


def label(owner: str, resource: str) -> str:
    return f'"heritage=external-dns,external-dns/owner={owner},external-dns/resource={resource}"'


# -- domain filters


def test_domain_filters_are_trimmed_and_empty_ones_dropped() -> None:
    opts = DnsOptions(owner_id="x", domain_filters=(" example.com", "Example.ORG. ", " "))
    assert opts.domain_filters == ("example.com", "example.org")
    assert DnsOptions(owner_id="x", exclude_domains=(" a.example.com ",)).exclude_domains == (
        "a.example.com",
    )


def test_a_padded_domain_filter_still_plans(tmp_path: Path) -> None:
    p = platform(tmp_path, svc("a", "web", "www.example.com", IP), aws=aws([]))
    assert brief(run(p, domain_filters=(" example.com",))) == [
        ("CREATE", "a-www.example.com", "TXT", [label("prod", "service/a/web")]),
        ("CREATE", "www.example.com", "A", [IP]),
    ]


# -- which hosted zones the AWS provider keeps


def test_a_filter_below_the_only_zone_selects_no_zone(tmp_path: Path) -> None:
    p = platform(tmp_path, svc("a", "web", "www.api.example.com", IP), aws=aws([]))
    plan = run(p, domain_filters=("api.example.com",))
    assert brief(plan) == []
    reason = (
        "A: hosted zone example.com is not selected: the domain filter (api.example.com) does "
        "not match the zone itself, and ExternalDNS keeps a parent zone of a filter only with "
        "--aws-zone-match-parent; nothing is created"
    )
    assert [s.to_json() for s in plan.skipped] == [
        {"name": "www.api.example.com", "reason": reason}
    ]
    # --aws-zone-match-parent keeps the parent zone
    assert brief(run(p, domain_filters=("api.example.com",), zone_match_parent=True)) == [
        ("CREATE", "a-www.api.example.com", "TXT", [label("prod", "service/a/web")]),
        ("CREATE", "www.api.example.com", "A", [IP]),
    ]


def test_match_parent_ignores_dotted_filters_and_honours_exclusions(tmp_path: Path) -> None:
    p = platform(tmp_path, svc("a", "web", "www.api.example.com", IP), aws=aws([]))
    dotted = run(p, domain_filters=(".api.example.com",), zone_match_parent=True)
    assert brief(dotted) == []
    excluded = run(
        p,
        domain_filters=("api.example.com",),
        exclude_domains=("example.com",),
        zone_match_parent=True,
    )
    assert brief(excluded) == []


def test_zone_match_parent_comes_from_the_deployment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dep = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: external-dns, namespace: dns}\n"
        "spec:\n  selector: {matchLabels: {app: d}}\n"
        "  template:\n    metadata: {labels: {app: d}}\n"
        "    spec:\n      containers:\n        - name: e\n"
        "          image: registry.k8s.io/external-dns/external-dns:v0.22.0\n"
        "          args: [--source=service, --policy=sync, --txt-owner-id=prod,\n"
        '                 "--domain-filter= api.example.com", --aws-zone-match-parent]\n'
    )
    platform(tmp_path, svc("a", "web", "www.api.example.com", IP), dep, aws=aws([]))
    assert main(["dns", "plan", str(tmp_path), "-f", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(c["action"], c["name"], c["type"]) for c in doc["changes"]] == [
        ("CREATE", "a-www.api.example.com", "TXT"),
        ("CREATE", "www.api.example.com", "A"),
    ]
    assert doc["external_dns"]["domain_filters"] == ["api.example.com"]


# -- set identifiers and routing policies


def weighted(name: str, set_id: str, weight: str, target: str) -> str:
    ann = f"    {PREFIX}set-identifier: {set_id}\n    {PREFIX}aws-weight: '{weight}'\n"
    return svc("a", name, "www.example.com", target, ann=ann)


def test_weighted_records_are_planned_per_set_identifier(tmp_path: Path) -> None:
    docs = [weighted("blue", "blue", "90", IP), weighted("green", "green", "10", "203.0.113.8")]
    plan = run(platform(tmp_path, *docs, aws=aws([])))
    assert [c.to_json() for c in plan.changes] == [
        {
            "action": "CREATE", "name": "a-www.example.com", "type": "TXT", "alias": False,
            "targets": [label("prod", "service/a/blue")], "source": "service/a/blue",
            "set_identifier": "blue", "routing": {"weight": "90"},
        },
        {
            "action": "CREATE", "name": "a-www.example.com", "type": "TXT", "alias": False,
            "targets": [label("prod", "service/a/green")], "source": "service/a/green",
            "set_identifier": "green", "routing": {"weight": "10"},
        },
        {
            "action": "CREATE", "name": "www.example.com", "type": "A", "alias": False,
            "targets": [IP], "source": "service/a/blue",
            "set_identifier": "blue", "routing": {"weight": "90"},
        },
        {
            "action": "CREATE", "name": "www.example.com", "type": "A", "alias": False,
            "targets": ["203.0.113.8"], "source": "service/a/green",
            "set_identifier": "green", "routing": {"weight": "10"},
        },
    ]  # fmt: skip
    assert plan.conflicts == ()


def test_a_changed_weight_updates_only_its_set(tmp_path: Path) -> None:
    def record(set_id: str, weight: int, target: str) -> dict[str, object]:
        return {"name": "www.example.com", "type": "A", "ttl": 300, "values": [target],
                "set_identifier": set_id, "weight": weight}  # fmt: skip

    def owned(set_id: str, resource: str) -> dict[str, object]:
        return {**txt("a-www.example.com", "prod", resource), "set_identifier": set_id}

    records = [
        record("blue", 90, IP), owned("blue", "service/a/blue"),
        record("green", 50, "203.0.113.8"), owned("green", "service/a/green"),
    ]  # fmt: skip
    docs = [weighted("blue", "blue", "90", IP), weighted("green", "green", "10", "203.0.113.8")]
    plan = run(platform(tmp_path, *docs, aws=aws(records)))
    assert [(c.action.value, c.type, c.set_identifier, dict(c.routing)) for c in plan.changes] == [
        ("UPDATE", "TXT", "green", {"weight": "10"}),
        ("UPDATE", "A", "green", {"weight": "10"}),
    ]


@pytest.mark.parametrize(
    ("ann", "reason"),
    [
        (
            f"    {PREFIX}aws-weight: '10'\n",
            "service/a/web: A: routing annotations (weight) without set-identifier: Route 53 "
            "refuses a routing policy without a set identifier",
        ),
        (
            f"    {PREFIX}set-identifier: one\n",
            "service/a/web: A: set-identifier 'one' without a routing policy (aws-weight, "
            "aws-region, aws-failover, aws-geolocation-*, aws-multi-value-answer): Route 53 "
            "refuses the record",
        ),
        (
            f"    {PREFIX}set-identifier: one\n    {PREFIX}aws-weight: '10'\n"
            f"    {PREFIX}aws-region: eu-west-1\n",
            "service/a/web: A: more than one routing policy (region, weight): Route 53 takes "
            "one per record",
        ),
    ],
)
def test_routing_route53_refuses_is_skipped(tmp_path: Path, ann: str, reason: str) -> None:
    p = platform(tmp_path, svc("a", "web", "www.example.com", IP, ann=ann), aws=aws([]))
    plan = run(p)
    assert brief(plan) == []
    assert [s.to_json() for s in plan.skipped] == [{"name": "www.example.com", "reason": reason}]


def test_latency_failover_and_geolocation_policies(tmp_path: Path) -> None:
    docs = [
        svc("a", "eu", "www.example.com", IP,
            ann=f"    {PREFIX}set-identifier: eu\n    {PREFIX}aws-region: eu-west-1\n"),
        svc("a", "main", "api.example.com", IP,
            ann=f"    {PREFIX}set-identifier: main\n    {PREFIX}aws-failover: PRIMARY\n"
                f"    {PREFIX}aws-health-check-id: hc-1\n"),
        svc("a", "de", "shop.example.com", IP,
            ann=f"    {PREFIX}set-identifier: de\n    {PREFIX}aws-geolocation-country-code: DE\n"),
    ]  # fmt: skip
    plan = run(platform(tmp_path, *docs, aws=aws([])))
    assert [(c.name, c.set_identifier, dict(c.routing)) for c in plan.changes if c.type == "A"] == [
        ("api.example.com", "main", {"failover": "PRIMARY", "health-check-id": "hc-1"}),
        ("shop.example.com", "de", {"geolocation-country-code": "DE"}),
        ("www.example.com", "eu", {"region": "eu-west-1"}),
    ]


# -- --txt-wildcard-replacement


def test_wildcard_replacement_names_the_txt_record(tmp_path: Path) -> None:
    p = platform(tmp_path, svc("a", "web", "'*.example.com'", IP), aws=aws([]))
    assert brief(run(p, txt_wildcard_replacement="wild")) == [
        ("CREATE", "*.example.com", "A", [IP]),
        ("CREATE", "a-wild.example.com", "TXT", [label("prod", "service/a/web")]),
    ]
    # the TXT registry reads the replaced name back as the wildcard's owner
    records = [
        {"name": "\\052.example.com", "type": "A", "ttl": 300, "values": ["203.0.113.9"]},
        txt("a-wild.example.com", "prod", "service/a/web"),
    ]
    p = platform(tmp_path, svc("a", "web", "'*.example.com'", IP), aws=aws(records))
    assert brief(run(p, txt_wildcard_replacement="wild")) == [
        ("UPDATE", "*.example.com", "A", [IP]),
        ("UPDATE", "a-wild.example.com", "TXT", [label("prod", "service/a/web")]),
    ]
    # without the replacement the record has no owner and is left alone
    assert brief(run(p)) == []


# -- --migrate-from-txt-owner


def _owned_by(owner: str) -> list[dict[str, object]]:
    return [
        {"name": "www.example.com", "type": "A", "ttl": 300, "values": [IP]},
        txt("a-www.example.com", owner, "service/a/web"),
    ]


def test_migrate_from_txt_owner_rewrites_the_old_owners_records(tmp_path: Path) -> None:
    p = platform(tmp_path, svc("a", "web", "www.example.com", IP), aws=aws(_owned_by("old")))
    assert brief(run(p)) == []  # owned by another id: untouched
    assert brief(run(p, old_owner_id="old")) == [
        ("UPDATE", "a-www.example.com", "TXT", [label("prod", "service/a/web")]),
        ("UPDATE", "www.example.com", "A", [IP]),
    ]


def test_migrate_from_txt_owner_updates_our_records_and_spares_strangers(tmp_path: Path) -> None:
    # isOldOwnerIDSetAndDifferent: while the flag is set, a record already ours is
    # updated on every run too; a third owner's update is dropped by the owner filter
    mine = platform(tmp_path, svc("a", "web", "www.example.com", IP), aws=aws(_owned_by("prod")))
    assert [c.action.value for c in run(mine, old_owner_id="old").changes] == ["UPDATE", "UPDATE"]
    third = platform(tmp_path, svc("a", "web", "www.example.com", IP), aws=aws(_owned_by("qa")))
    plan = run(third, old_owner_id="old")
    assert brief(plan) == []
    assert [s.to_json() for s in plan.skipped] == [
        {"name": "www.example.com", "reason": "A not updated: it is owned by 'qa'"}
    ]


def test_a_txt_name_with_a_label_over_63_characters_is_never_made(tmp_path: Path) -> None:
    host = "a" * 62 + ".example.com"  # the record is fine; "a-" + 62 characters is not
    p = platform(tmp_path, svc("a", "web", host, IP), aws=aws([]))
    plan = run(p)
    assert brief(plan) == [("CREATE", host, "A", [IP])]
    assert [s.to_json() for s in plan.skipped] == [
        {
            "name": host,
            "reason": f"A: no TXT record a-{'a' * 62}.example.com: a label is longer than 63 "
            "characters, so ExternalDNS makes no ownership record; the record will have no "
            "owner and ExternalDNS will not update or delete it later",
        }
    ]


def test_a_skipped_hostname_is_listed_once(tmp_path: Path) -> None:
    # Ingress and Service records go through one path (sources._publish): a
    # hostname an object names twice is skipped once, with why.
    other = f"    {PREFIX}controller: someone-else\n"
    p = platform(tmp_path, svc("a", "web", "www.example.com,www.example.com", IP, ann=other),
                 aws=aws([]))  # fmt: skip
    plan = run(p)
    assert brief(plan) == []
    assert [s.to_json() for s in plan.skipped] == [
        {
            "name": "www.example.com",
            "reason": f"service/a/web: annotation {PREFIX}controller='someone-else' hands the "
            "object to another controller",
        }
    ]
