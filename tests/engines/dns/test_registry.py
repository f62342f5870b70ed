"""TXT registry names and labels."""

from __future__ import annotations

from ekstwin.engines.dns import NameMapper, parse_labels, serialize_labels


def test_txt_names_carry_the_record_type() -> None:
    m = NameMapper()
    assert m.to_txt_name("app.example.com", "A") == "a-app.example.com"
    assert m.to_txt_name("app.example.com", "AAAA") == "aaaa-app.example.com"
    assert m.to_txt_name("app.example.com", "CNAME") == "cname-app.example.com"
    assert NameMapper(prefix="ext-").to_txt_name("app.example.com", "A") == "ext-a-app.example.com"
    assert NameMapper(suffix="-ext").to_txt_name("app.example.com", "A") == "a-app-ext.example.com"
    assert (
        NameMapper(prefix="%{record_type}-x.").to_txt_name("app.example.com", "A")
        == "a-x.app.example.com"
    )
    assert (
        NameMapper(suffix="-%{record_type}").to_txt_name("app.example.com", "AAAA")
        == "app-aaaa.example.com"
    )


def test_txt_names_map_back_old_format_has_no_type() -> None:
    assert NameMapper().to_endpoint_name("a-app.example.com") == ("app.example.com", "A")
    assert NameMapper().to_endpoint_name("cname-App.Example.com") == ("app.example.com", "CNAME")
    assert NameMapper().to_endpoint_name("legacy.example.com") == ("legacy.example.com", "")
    assert NameMapper(prefix="ext-").to_endpoint_name("ext-a-app.example.com") == (
        "app.example.com",
        "A",
    )
    assert NameMapper(prefix="ext-").to_endpoint_name("other.example.com") == ("", "")
    assert NameMapper(suffix="-ext").to_endpoint_name("a-app-ext.example.com") == (
        "app.example.com",
        "A",
    )
    # A host whose first label starts with a type name reads as that type (upstream does too).
    assert NameMapper().to_endpoint_name("a-team.example.com") == ("team.example.com", "A")


def test_labels_need_external_dns_heritage() -> None:
    text = '"heritage=external-dns,external-dns/owner=prod,external-dns/resource=ingress/a/b"'
    assert parse_labels(text) == {"owner": "prod", "resource": "ingress/a/b"}
    assert parse_labels('"v=spf1 -all"') is None
    assert parse_labels('"heritage=other,external-dns/owner=x"') is None
    assert serialize_labels({"resource": "ingress/a/b", "owner": "prod"}) == text
