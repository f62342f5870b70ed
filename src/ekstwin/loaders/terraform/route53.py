"""Route53: ``aws_route53_zone`` and ``aws_route53_record``."""

from __future__ import annotations

from ekstwin.loaders.terraform.builder import (
    Builder,
    Handler,
    Json,
    first,
    hex_of,
    id_placeholder,
    strs,
)
from ekstwin.loaders.terraform.plan import Resource

__all__ = ["HANDLERS"]


def _zone(b: Builder, r: Resource) -> None:
    zones = b.keyed("route53", "hosted_zones")
    zone_id = b.get(r, "zone_id", b.placeholders[r.address + ".zone_id"])
    vpc_ids = [str(v.get("vpc_id")) for v in r.values.get("vpc") or [] if v.get("vpc_id")]
    b.note(f"/accounts/0/route53/hosted_zones/{len(zones)}", r)
    zones[str(zone_id)] = {
        "id": zone_id,
        "name": str(r.values.get("name", "")).rstrip(".") + ".",
        "private": bool(vpc_ids),
        "vpc_ids": vpc_ids,
        "records": [],
    }


def _record(b: Builder, r: Resource) -> None:
    zones = b.keyed("route53", "hosted_zones")
    zone_id = b.get(r, "zone_id")
    if zone_id not in zones:
        return
    alias = first(r.values.get("alias"))
    record: Json = {
        "name": b.get(r, "name"),
        "type": r.values.get("type"),
        "ttl": r.values.get("ttl"),
        "values": strs(r.values.get("records")),
        "set_identifier": r.values.get("set_identifier") or None,
        "alias_target": {
            "dns_name": str(alias.get("name")),
            "hosted_zone_id": str(alias.get("zone_id")),
            "evaluate_target_health": bool(alias.get("evaluate_target_health")),
        }
        if alias.get("name") and alias.get("zone_id")
        else None,
    }
    if record["name"] and record["type"]:
        records = zones[str(zone_id)]["records"]
        assert isinstance(records, list)
        records.append(record)


HANDLERS = (
    Handler(
        "aws_route53_zone", _zone, id_placeholder("zone_id", lambda a: "Z" + hex_of(a, 20).upper())
    ),
    Handler("aws_route53_record", _record),
)
