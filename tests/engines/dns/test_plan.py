"""The ExternalDNS plan: sources, Route 53 aliases, registry, policies, owners, conflicts."""

from __future__ import annotations

import json
from pathlib import Path

from ekstwin.cli.main import main
from ekstwin.engines.dns import ALPHA_PREFIX, DnsOptions, DnsPlan, Policy, plan_dns
from ekstwin.loaders import load
from ekstwin.model.platform import Platform
from tests.engines.ingress.builders import platform

DEMO = Path(__file__).parents[3] / "examples" / "demo-platform"
ELB = "k8s-web-1234567890.eu-west-1.elb.amazonaws.com"


def svc(
    ns: str,
    name: str,
    hosts: str,
    target: str,
    *,
    prefix: str = "external-dns.kubernetes.io/",
    ann: str = "",
) -> str:
    kind = "ip" if target[0].isdigit() else "hostname"
    return (
        f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
        f"  annotations:\n    {prefix}hostname: {hosts}\n{ann}"
        "spec:\n  type: LoadBalancer\n  ports:\n    - port: 443\n"
        f"status:\n  loadBalancer:\n    ingress:\n      - {kind}: {target}\n"
    )


def ing(ns: str, name: str, host: str, target: str, *, tls: str = "", ann: str = "") -> str:
    return (
        f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n"
        f"  namespace: {ns}\n  annotations:\n    x: y\n{ann}spec:\n  ingressClassName: other\n{tls}"
        f"  rules:\n    - host: {host}\n      http:\n        paths:\n          - path: /\n"
        "            pathType: Prefix\n            backend:\n              service:\n"
        "                name: web\n                port:\n                  number: 80\n"
        f"status:\n  loadBalancer:\n    ingress:\n      - hostname: {target}\n"
    )


def aws(records: list[dict[str, object]], zone: str = "example.com.") -> dict[str, object]:
    return {
        "format": "ekstwin-aws",
        "version": 1,
        "accounts": [
            {
                "id": "111122223333",
                "route53": {"hosted_zones": [{"id": "Z1", "name": zone, "records": records}]},
            }
        ],
    }


def txt(name: str, owner: str, resource: str) -> dict[str, object]:
    value = f'"heritage=external-dns,external-dns/owner={owner},external-dns/resource={resource}"'
    return {"name": name, "type": "TXT", "ttl": 300, "values": [value]}


def alias(name: str, rtype: str = "A", target: str = ELB) -> dict[str, object]:
    return {
        "name": name,
        "type": rtype,
        "alias_target": {
            "dns_name": target + ".",
            "hosted_zone_id": "Z32O12XQLNTSW2",
            "evaluate_target_health": True,
        },
    }


def changes(plan: DnsPlan) -> list[tuple[str, str, str, bool, list[str], str | None]]:
    return [
        (c.action.value, c.name, c.type, c.alias, list(c.targets), c.source) for c in plan.changes
    ]


def run(p: Platform, **kw: object) -> DnsPlan:
    return plan_dns(p, DnsOptions(owner_id="prod", **kw))  # type: ignore[arg-type]


def test_elb_target_becomes_alias_a_and_aaaa_with_type_prefixed_txt(tmp_path: Path) -> None:
    p = platform(tmp_path, svc("a", "web", "www.example.com", ELB), aws=aws([]))
    label = '"heritage=external-dns,external-dns/owner=prod,external-dns/resource=service/a/web"'
    assert changes(run(p)) == [
        ("CREATE", "a-www.example.com", "TXT", False, [label], "service/a/web"),
        ("CREATE", "aaaa-www.example.com", "TXT", False, [label], "service/a/web"),
        ("CREATE", "www.example.com", "A", True, [ELB], "service/a/web"),
        ("CREATE", "www.example.com", "AAAA", True, [ELB], "service/a/web"),
    ]


def test_ip_target_is_a_plain_a_record_and_txt_prefix_applies(tmp_path: Path) -> None:
    p = platform(tmp_path, svc("a", "web", "www.example.com", "203.0.113.7"), aws=aws([]))
    label = '"heritage=external-dns,external-dns/owner=prod,external-dns/resource=service/a/web"'
    assert changes(run(p, txt_prefix="ext-")) == [
        ("CREATE", "ext-a-www.example.com", "TXT", False, [label], "service/a/web"),
        ("CREATE", "www.example.com", "A", False, ["203.0.113.7"], "service/a/web"),
    ]


def test_ingress_rule_tls_and_annotation_hosts_with_the_configured_prefix(tmp_path: Path) -> None:
    tls = "  tls:\n    - hosts: [secure.example.com]\n"
    ann = f"    {ALPHA_PREFIX}hostname: extra.example.com\n"
    p = platform(tmp_path, ing("a", "web", "www.example.com", ELB, tls=tls, ann=ann), aws=aws([]))
    names = sorted({c.name for c in run(p).changes if c.type == "A"})
    assert names == ["secure.example.com", "www.example.com"]
    names = sorted(
        {c.name for c in run(p, annotation_prefix=ALPHA_PREFIX).changes if c.type == "A"}
    )
    assert names == ["extra.example.com", "secure.example.com", "www.example.com"]


def test_records_of_another_owner_or_no_owner_are_left_alone(tmp_path: Path) -> None:
    records = [
        alias("www.example.com", target="old.eu-west-1.elb.amazonaws.com"),
        txt("a-www.example.com", "staging", "ingress/a/web"),
        {"name": "hand.example.com", "type": "CNAME", "ttl": 300, "values": ["x.example.net."]},
    ]
    docs = [svc("a", "web", "www.example.com", ELB), svc("a", "hand", "hand.example.com", ELB)]
    plan = run(platform(tmp_path, *docs, aws=aws(records)))
    assert changes(plan) == []
    assert [s.to_json() for s in plan.skipped] == [
        {
            "name": "hand.example.com",
            "reason": "A not created: the name's CNAME record has no owner (no ExternalDNS TXT record), not 'prod'",  # noqa: E501
        },
        {
            "name": "hand.example.com",
            "reason": "AAAA not created: the name's CNAME record has no owner (no ExternalDNS TXT record), not 'prod'",  # noqa: E501
        },
        {
            "name": "hand.example.com",
            "reason": "CNAME not deleted: it has no owner (no ExternalDNS TXT record)",
        },
        {"name": "www.example.com", "reason": "A not updated: it is owned by 'staging'"},
        {
            "name": "www.example.com",
            "reason": "AAAA not created: the name's A record is owned by 'staging', not 'prod'",
        },
    ]


def test_policies_sync_upsert_only_create_only(tmp_path: Path) -> None:
    records = [
        alias("gone.example.com"),
        txt("a-gone.example.com", "prod", "service/a/gone"),
        alias("www.example.com", target="old.eu-west-1.elb.amazonaws.com"),
        txt("a-www.example.com", "prod", "service/a/web"),
    ]
    p = platform(tmp_path, svc("a", "web", "www.example.com", ELB), aws=aws(records))
    sync = {(c.action.value, c.name, c.type) for c in run(p).changes}
    assert sync == {
        ("DELETE", "gone.example.com", "A"),
        ("DELETE", "a-gone.example.com", "TXT"),
        ("UPDATE", "www.example.com", "A"),
        ("UPDATE", "a-www.example.com", "TXT"),
        ("CREATE", "www.example.com", "AAAA"),
        ("CREATE", "aaaa-www.example.com", "TXT"),
    }
    upsert = {(c.action.value, c.name, c.type) for c in run(p, policy=Policy.UPSERT_ONLY).changes}
    assert upsert == sync - {
        ("DELETE", "gone.example.com", "A"),
        ("DELETE", "a-gone.example.com", "TXT"),
    }
    create = {(c.action.value, c.name, c.type) for c in run(p, policy=Policy.CREATE_ONLY).changes}
    assert create == {
        ("CREATE", "www.example.com", "AAAA"),
        ("CREATE", "aaaa-www.example.com", "TXT"),
    }


def test_old_unprefixed_txt_owns_the_record_but_not_its_aaaa(tmp_path: Path) -> None:
    records = [alias("www.example.com"), txt("www.example.com", "prod", "service/a/web")]
    p = platform(tmp_path, svc("a", "web", "www.example.com", ELB), aws=aws(records))
    # owned through the old TXT: the A is re-written to get its new-format TXT
    assert changes(run(p))[:3] == [
        (
            "UPDATE",
            "a-www.example.com",
            "TXT",
            False,
            ['"heritage=external-dns,external-dns/owner=prod,external-dns/resource=service/a/web"'],
            "service/a/web",
        ),
        (
            "CREATE",
            "aaaa-www.example.com",
            "TXT",
            False,
            ['"heritage=external-dns,external-dns/owner=prod,external-dns/resource=service/a/web"'],
            "service/a/web",
        ),
        ("UPDATE", "www.example.com", "A", True, [ELB], "service/a/web"),
    ]


def test_domain_filter_and_zones(tmp_path: Path) -> None:
    docs = [svc("a", "web", "www.example.com", ELB), svc("a", "ext", "www.example.org", ELB)]
    plan = run(platform(tmp_path, *docs, aws=aws([])), domain_filters=("shop.example.com",))
    assert changes(plan) == []
    assert {s.to_json()["reason"] for s in plan.skipped} == {
        "service/a/web: outside the domain filter",
        "service/a/ext: outside the domain filter",
    }
    plan = run(platform(tmp_path, *docs, aws=aws([])))
    assert {(c.name, c.type) for c in plan.changes if c.type != "TXT"} == {
        ("www.example.com", "A"),
        ("www.example.com", "AAAA"),
    }
    assert sorted(str(s.to_json()["reason"]) for s in plan.skipped) == [
        "A: no hosted zone holds this name",
        "AAAA: no hosted zone holds this name",
    ]


def test_two_services_one_name_fewest_targets_then_lowest_wins(tmp_path: Path) -> None:
    docs = [
        svc("a", "one", "api.example.com", "b-2.eu-west-1.elb.amazonaws.com"),
        svc("b", "two", "api.example.com", "a-1.eu-west-1.elb.amazonaws.com"),
    ]
    plan = run(platform(tmp_path, *docs, aws=aws([])))
    assert [c.to_json() for c in plan.conflicts] == [
        {
            "name": "api.example.com",
            "reason": "2 A candidates with different targets: service/b/two wins (fewest targets, then the lowest target); the others are ignored silently; 2 AAAA candidates with different targets: service/b/two wins (fewest targets, then the lowest target); the others are ignored silently",  # noqa: E501
            "claimants": ["service/a/one", "service/b/two"],
        }
    ]
    assert {c.source for c in plan.changes} == {"service/b/two"}


def test_update_keeps_the_resource_that_owns_the_name(tmp_path: Path) -> None:
    docs = [
        svc("a", "one", "api.example.com", "b-2.eu-west-1.elb.amazonaws.com"),
        svc("b", "two", "api.example.com", "a-1.eu-west-1.elb.amazonaws.com"),
    ]
    records = [
        alias("api.example.com", target="old.eu-west-1.elb.amazonaws.com"),
        txt("a-api.example.com", "prod", "service/a/one"),
    ]
    plan = run(platform(tmp_path, *docs, aws=aws(records)))
    a = next(c for c in plan.changes if c.type == "A")
    assert (a.action.value, a.targets, a.source) == (
        "UPDATE",
        ("b-2.eu-west-1.elb.amazonaws.com",),
        "service/a/one",
    )


def test_demo_plan_creates_www_and_partners_and_leaves_others_alone() -> None:
    p = load([str(DEMO)]).platform
    plan = plan_dns(
        p, DnsOptions("platform-prod", Policy.UPSERT_ONLY, domain_filters=("example.com",))
    )
    assert plan.annotation_prefix == ALPHA_PREFIX
    creates = {(c.name, c.type) for c in plan.changes if c.action.value == "CREATE"}
    assert {
        ("www.shop.example.com", "A"),
        ("www.shop.example.com", "AAAA"),
        ("partners.shop.example.com", "A"),
        ("partners.shop.example.com", "AAAA"),
    } <= creates
    touched = {c.name for c in plan.changes}
    assert not touched & {
        "grafana.platform.example.com",
        "legacy.shop.example.com",
        "status.shop.example.com",
    }
    assert [c.claimants for c in plan.conflicts] == [
        (
            "ingress/orders/orders-api",
            "ingress/payments/payments-webhooks",
            "ingress/shop-api/shop-api",
        )
    ]
    reasons = {s.name: s.reason for s in plan.skipped if "not deleted" in s.reason}
    assert reasons == {
        "grafana.platform.example.com": "A not deleted: policy upsert-only never deletes, and it is owned by 'platform-staging'",  # noqa: E501
        "legacy.shop.example.com": "CNAME not deleted: policy upsert-only never deletes",
        "status.shop.example.com": "CNAME not deleted: policy upsert-only never deletes, and it has no owner (no ExternalDNS TXT record)",  # noqa: E501
    }


def test_cli_dns_plan_json_shape(capsys: object) -> None:
    rc = main(
        [
            "dns",
            "plan",
            str(DEMO),
            "--owner-id",
            "platform-prod",
            "--policy",
            "upsert-only",
            "--domain-filter",
            "example.com",
            "-f",
            "json",
            "-q",
        ]
    )
    out = json.loads(capsys.readouterr().out)  # type: ignore[attr-defined]
    assert rc == 0
    # the keys; with --owner-id the plan is the command line's alone
    assert sorted(out) == ["changes", "conflicts", "external_dns", "skipped"]
    assert out["external_dns"] is None
    assert sorted(out["changes"][0]) == ["action", "alias", "name", "source", "targets", "type"]
    assert sorted(out["conflicts"][0]) == ["claimants", "name", "reason"]
    assert sorted(out["skipped"][0]) == ["name", "reason"]
