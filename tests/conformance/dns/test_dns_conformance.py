"""The dns engine against ExternalDNS's own test tables (tests/conformance/dns)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from ekstwin.engines.dns.plan import (
    DnsOptions,
    PlanRules,
    Policy,
    _match_parent,
    _needs_update,
    calculate_changes,
    current_records,
    domain_matches,
    normalize_domain,
    normalize_filters,
)
from ekstwin.engines.dns.registry import NameMapper
from ekstwin.engines.dns.sources import Endpoint
from ekstwin.model.aws import AliasTarget, DnsRecord, HostedZone
from tests.conformance.suites import Case, expected, params


def _options(case: Case) -> DnsOptions:
    d = case.data
    return DnsOptions(
        owner_id="conformance",
        domain_filters=tuple(d.get("filters", ())),
        exclude_domains=tuple(d.get("exclude", ())),
        regex_domain_filter=d.get("regex", ""),
        regex_domain_exclusion=d.get("regex_exclusion", ""),
    )


@pytest.mark.parametrize("case", params("dns", "domain-filter"))
def test_domain_filter(case: Case) -> None:
    d = case.data
    if "prepare" in d:
        assert list(normalize_filters(tuple(d["prepare"]))) == d["prepared"]
        return
    if "normalize" in d:
        assert normalize_domain(d["normalize"]) == d["normalized"]
        return
    opts = _options(case)
    domains = [d["domain"], d["domain"] + "."] if d.get("trailing_dot") else [d["domain"]]
    for domain in domains:
        if "match_parent" in d:
            assert _match_parent(opts, normalize_domain(domain)) is d["match_parent"], domain
        else:
            assert domain_matches(opts, domain) is d["match"], domain


def _mapper(case: Case) -> NameMapper:
    m = case.data["mapper"]
    return NameMapper(m["prefix"], m["suffix"], m["wildcard"])


@pytest.mark.parametrize("case", params("dns", "txt-names"))
def test_txt_names(case: Case) -> None:
    d = case.data
    mapper = _mapper(case)
    if "record_type" in d and "txt_name" in d and "record_name" in d and d.get("round_trip"):
        assert mapper.to_txt_name(d["record_name"], d["record_type"]) == d["txt_name"]
        assert mapper.to_endpoint_name(d["txt_name"])[0] == d["record_name"]
    elif case.data["name"].startswith("TestAffixNameMapper_ToTXTName"):
        assert mapper.to_txt_name(d["record_name"], d["record_type"]) == d["txt_name"]
    else:
        assert mapper.to_endpoint_name(d["txt_name"]) == (d["record_name"], d["record_type"])


def _endpoint(d: dict[str, Any]) -> Endpoint:
    labels = d["labels"]
    return Endpoint(
        d["name"],
        d["type"],
        tuple(d["targets"]),
        d["ttl"],
        d["set_identifier"],
        resource=labels.get("resource"),
        owner=labels.get("owner"),
        routing=tuple(sorted((str(k), str(v)) for k, v in d["provider_specific"])),
    )


def _same(e: Endpoint) -> tuple[object, ...]:
    """testutils.SameEndpoint: what two endpoints must share to count as the same."""
    return (
        e.name,
        tuple(sorted(t.lower() for t in e.targets)),
        e.type,
        e.set_identifier,
        e.owner,
        e.ttl,
        e.resource,
        e.routing,
    )


@pytest.mark.parametrize("case", params("dns", "plan"))
def test_plan(case: Case) -> None:
    d = case.data
    if d.get("kind") == "provider_specific":
        # providerSpecificChanged: otherwise equal endpoints, only the properties differ
        base = Endpoint("foo.com", "A", ("203.0.113.1",), None)
        current = replace(base, routing=tuple(sorted(map(tuple, d["current"]))))
        desired = replace(base, routing=tuple(sorted(map(tuple, d["desired"]))))
        assert _needs_update(desired, current) is d["update"]
        return
    opts = DnsOptions(
        owner_id="conformance",
        domain_filters=tuple(d.get("domain_filter", ())),
        exclude_domains=tuple(d.get("exclude_domains", ())),
    )
    managed = set(d["managed"]) - set(d.get("exclude_types", ()))

    def keep(e: Endpoint) -> bool:
        return domain_matches(opts, e.name) and e.type in managed

    rules = PlanRules(
        Policy(d["policy"]) if d["policy"] != "none" else Policy.SYNC,
        d.get("owner_id"),
        d.get("old_owner_id", ""),
    )
    got = calculate_changes(
        [_endpoint(e) for e in d["current"]],
        [_endpoint(e) for e in d["desired"]],
        rules,
        keep=keep,
    )
    if "has_changes" in d:
        changed = bool(got.create or got.delete) or [_same(e) for e in got.update_new] != [
            _same(e) for e in got.update_old
        ]
        assert changed is d["has_changes"]
        return
    for key, eps in (
        ("create", got.create),
        ("update_old", got.update_old),
        ("update_new", got.update_new),
        ("delete", got.delete),
    ):
        want = [_endpoint(e) for e in expected(case).get(key, [])]
        assert sorted(map(_same, eps), key=repr) == sorted(map(_same, want), key=repr), key


def _zone(records: list[dict[str, Any]]) -> HostedZone:
    out = []
    for r in records:
        alias = r.get("alias")
        out.append(
            DnsRecord(
                r["name"],
                r["type"],
                None,
                () if alias else tuple(r["values"]),
                r["set_identifier"] or None,
                AliasTarget(r["values"][0], "Z1") if alias else None,
            )
        )
    return HostedZone("Z1", "test-zone.example.org", records=tuple(out))


@pytest.mark.parametrize("case", params("dns", "txt-registry"))
def test_txt_registry(case: Case) -> None:
    d = case.data
    reg = d["registry"]
    mapper = NameMapper(reg["prefix"], reg["suffix"], reg["wildcard"])
    current = current_records(
        [_zone(d["records"])], mapper, reg["owner_id"], managed_types=tuple(reg["managed_types"])
    )
    want = d["record"]
    found = [
        e
        for e in current.records
        if (e.name, e.type, e.set_identifier)
        == (want["name"], want["type"], want["set_identifier"])
    ]
    assert len(found) == 1
    assert (found[0].owner or "", found[0].force_update) == (d["owner"], d["force_update"])
