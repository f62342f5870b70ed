"""The dns engine against ExternalDNS's own test tables (tests/conformance/dns)."""

from __future__ import annotations

import pytest

from ekstwin.engines.dns.plan import (
    DnsOptions,
    _match_parent,
    domain_matches,
    normalize_domain,
    normalize_filters,
)
from ekstwin.engines.dns.registry import NameMapper
from tests.conformance.suites import Case, params


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
