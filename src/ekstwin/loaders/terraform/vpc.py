"""The VPC network: security groups and their rules (inline, ``aws_security_group_rule``,
``aws_vpc_security_group_ingress_rule`` / ``_egress_rule``), network ACLs (inline,
``aws_network_acl_rule``, ``aws_network_acl_association``, ``aws_default_network_acl``),
managed prefix lists, peering, endpoints, routes (``aws_route``), and the services
in the VPC (``aws_db_instance``, ``aws_elasticache_cluster``, ``aws_efs_mount_target``,
with the subnet groups they name).

What a plan leaves unknown is never guessed into an allow or a deny:

* a security group's or an ACL's inline rules unknown until apply (not written in the
  configuration: computed) are read as the separate rule resources only, with a
  warning; an inline rule naming a group unknown until apply takes the placeholder
  of the one group its block refers to, and with several such groups the group is
  left out (its rules cannot be joined up), with a warning;
* a rule, entry, route or association whose group, ACL or route table is not in the
  file is not read, with a warning: written alone it would stand for a whole group
  (or table) whose other rules are unknown.

Terraform's ``aws_security_group`` removes the allow-all egress rule EC2 gives a new
group, unless the configuration writes one (the provider's documentation); a group
written here has exactly the rules the configuration gives it. The same holds for
``aws_default_network_acl``, which replaces the default ACL's entries by the
configured ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ekstwin.errors import EkstwinError
from ekstwin.loaders.terraform.builder import (
    Builder,
    Handler,
    Json,
    doc,
    hex_of,
    id_placeholder,
    strs,
    tags,
)
from ekstwin.loaders.terraform.plan import Resource

__all__ = ["HANDLERS"]

_PORTS = frozenset({"tcp", "udp", "6", "17"})
_ICMP = frozenset({"icmp", "icmpv6", "1", "58"})


def _protocol(value: Any) -> str:
    text = str(value if value is not None else "-1").lower()
    return "-1" if text in ("all", "-1") else text


def _ports(protocol: str, low: Any, high: Any) -> Json:
    """Terraform's from_port/to_port in the aws.json shape: ports for TCP and UDP (0 to
    65535 is every port), ICMP type and code for ICMP (-1 = any), nothing for the
    other protocols (``-1`` is written with 0 and 0)."""
    if protocol in _PORTS and isinstance(low, int) and isinstance(high, int):
        return {} if (low, high) in ((0, 65535), (-1, -1)) else {"from_port": low, "to_port": high}
    if protocol in _ICMP:
        icmp_type = low if isinstance(low, int) and low != -1 else None
        icmp_code = high if isinstance(high, int) and high != -1 and icmp_type is not None else None
        return {"icmp_type": icmp_type, "icmp_code": icmp_code}
    return {}


def _key(rule: Json) -> tuple[object, ...]:
    return tuple(
        rule.get(k)
        for k in ("protocol", "from_port", "to_port", "icmp_type", "icmp_code", "cidr",
                  "prefix_list_id", "group_id")
    )  # fmt: skip


def _add_rules(group: Json, direction: str, rules: Iterable[Json]) -> None:
    """Add rules to a group, once each (a state lists a separate rule resource's rule
    in the group's own list too)."""
    listed = group[direction]
    assert isinstance(listed, list)
    seen = {_key(x) for x in listed if isinstance(x, dict)}
    for rule in rules:
        if _key(rule) not in seen:
            seen.add(_key(rule))
            listed.append(rule)


def _ref_placeholders(b: Builder, r: Resource, attr: str, prefix: str) -> list[str]:
    """The distinct placeholders of ``prefix`` ids the expression of ``attr`` refers to."""
    out: list[str] = []
    for ref in b.references.get(r.address, {}).get(attr, []):
        value = b.placeholders.get(ref)
        if value is not None and value.startswith(prefix) and value not in out:
            out.append(value)
    return out


# -- security groups


class _Unjoinable(EkstwinError):
    """An inline rule names a group unknown until apply, among several candidates."""


def _inline_rules(b: Builder, r: Resource, direction: str, group_id: str) -> list[Json]:
    rules: list[Json] = []
    for block in r.values.get(direction) or []:
        if not isinstance(block, dict):
            continue
        protocol = _protocol(block.get("protocol"))
        base: Json = {
            "protocol": protocol,
            **_ports(protocol, block.get("from_port"), block.get("to_port")),
            "description": block.get("description") or None,
        }
        peers: list[Json] = [{"cidr": c} for c in strs(block.get("cidr_blocks"))]
        peers += [{"cidr": c} for c in strs(block.get("ipv6_cidr_blocks"))]
        peers += [{"prefix_list_id": p} for p in strs(block.get("prefix_list_ids"))]
        groups = block.get("security_groups") or []
        peers += [{"group_id": g} for g in strs(groups)]
        if any(g is None for g in groups):
            found = _ref_placeholders(b, r, direction, "sg-")
            if len(found) != 1:
                raise _Unjoinable
            b.warn(r, f"{direction}: a security group is unknown until apply; using {found[0]}")
            peers.append({"group_id": found[0]})
        if block.get("self"):
            peers.append({"group_id": group_id})
        rules.extend({**base, **peer} for peer in peers)
    return rules


def _security_group(b: Builder, r: Resource) -> None:
    group_id = str(b.get(r, "id", b.placeholders[r.address + ".id"]))
    group: Json = {
        "group_id": group_id,
        "vpc_id": b.get(r, "vpc_id"),
        "name": r.values.get("name") or None,
        "description": r.values.get("description") or None,
        "ingress": [],
        "egress": [],
        "tags": tags(r.values.get("tags")),
    }
    try:
        for direction in ("ingress", "egress"):
            if r.unknown.get(direction) is True:
                b.warn(
                    r,
                    f"{direction} is unknown until apply (not written inline); read as the "
                    "separate rule resources of the group only",
                )
            _add_rules(group, direction, _inline_rules(b, r, direction, group_id))
    except _Unjoinable:
        b.warn(
            r,
            "an inline rule names a security group unknown until apply, and the rules "
            "refer to several; the group is left out (its rules are unknown)",
        )
        return
    b.put("ec2", "security_groups", group_id, group, r)


def _group_of(b: Builder, r: Resource, what: str) -> Json | None:
    group_id = b.get(r, "security_group_id")
    group = b.keyed("ec2", "security_groups").get(str(group_id)) if group_id else None
    if group is None:
        b.warn(
            r,
            f"the security group {group_id or '(unknown)'} is not in this file; this {what} "
            "is not read (the group's other rules are unknown)",
        )
    return group


def _security_group_rule(b: Builder, r: Resource) -> None:
    group = _group_of(b, r, "rule")
    if group is None:
        return
    direction = "egress" if r.values.get("type") == "egress" else "ingress"
    protocol = _protocol(r.values.get("protocol"))
    base: Json = {
        "protocol": protocol,
        **_ports(protocol, r.values.get("from_port"), r.values.get("to_port")),
        "description": r.values.get("description") or None,
    }
    peers: list[Json] = [{"cidr": c} for c in strs(r.values.get("cidr_blocks"))]
    peers += [{"cidr": c} for c in strs(r.values.get("ipv6_cidr_blocks"))]
    peers += [{"prefix_list_id": p} for p in strs(r.values.get("prefix_list_ids"))]
    source = b.get(r, "source_security_group_id")
    if source:
        peers.append({"group_id": source})
    if r.values.get("self"):
        peers.append({"group_id": group["group_id"]})
    _add_rules(group, direction, ({**base, **peer} for peer in peers))


def _vpc_rule(direction: str) -> Any:
    def read(b: Builder, r: Resource) -> None:
        group = _group_of(b, r, f"{direction} rule")
        if group is None:
            return
        protocol = _protocol(r.values.get("ip_protocol"))
        rule: Json = {
            "protocol": protocol,
            **_ports(protocol, r.values.get("from_port"), r.values.get("to_port")),
            "description": r.values.get("description") or None,
        }
        referenced = b.get(r, "referenced_security_group_id")
        prefix_list = b.get(r, "prefix_list_id")
        if r.values.get("cidr_ipv4"):
            rule["cidr"] = r.values["cidr_ipv4"]
        elif r.values.get("cidr_ipv6"):
            rule["cidr"] = r.values["cidr_ipv6"]
        elif prefix_list:
            rule["prefix_list_id"] = prefix_list
        elif referenced:
            # a group of another account is written ACCOUNT/sg-...
            account, _, group_id = str(referenced).rpartition("/")
            rule["group_id"] = group_id
            if account:
                rule["referenced_account_id"] = account
        else:
            b.warn(r, "the rule's peer is unknown until apply; the rule is not read")
            return
        if r.values.get("security_group_rule_id"):
            rule["rule_id"] = r.values["security_group_rule_id"]
        _add_rules(group, direction, [rule])

    return read


# -- network ACLs


def _acl_entries(r: Resource, blocks: Any, egress: bool) -> list[Json]:
    out: list[Json] = []
    for block in blocks or []:
        if not isinstance(block, dict):
            continue
        protocol = _protocol(block.get("protocol"))
        entry: Json = {
            "rule_number": block.get("rule_no"),
            "egress": egress,
            "action": str(block.get("action", "deny")).lower(),
            "protocol": protocol,
            "cidr": block.get("cidr_block") or block.get("ipv6_cidr_block"),
        }
        if protocol in _ICMP:
            entry.update(_ports(protocol, block.get("icmp_type"), block.get("icmp_code")))
        else:
            entry.update(_ports(protocol, block.get("from_port"), block.get("to_port")))
        out.append(entry)
    return out


def _acl(
    b: Builder,
    r: Resource,
    acl_id: str,
    vpc_id: Any,
    *,
    default: bool,
    subnets: list[str] | None = None,
) -> None:
    acl: Json = {
        "network_acl_id": acl_id,
        "vpc_id": vpc_id,
        "is_default": default,
        "entries": [],
        "subnet_ids": b.get_list(r, "subnet_ids") if subnets is None else subnets,
        "tags": tags(r.values.get("tags")),
    }
    entries = acl["entries"]
    assert isinstance(entries, list)
    for direction, egress in (("ingress", False), ("egress", True)):
        if r.unknown.get(direction) is True:
            b.warn(
                r,
                f"{direction} is unknown until apply (not written inline); read as the "
                "aws_network_acl_rule resources of the ACL only",
            )
        entries.extend(_acl_entries(r, r.values.get(direction), egress))
    if not vpc_id:
        b.warn(r, "the ACL's VPC is unknown; the ACL is not read")
        return
    b.put("ec2", "network_acls", acl_id, acl, r)


def _network_acl(b: Builder, r: Resource) -> None:
    acl_id = str(b.get(r, "id", b.placeholders[r.address + ".id"]))
    _acl(b, r, acl_id, b.get(r, "vpc_id"), default=False)


def _default_network_acl(b: Builder, r: Resource) -> None:
    """The VPC's default ACL, its entries replaced by the configured ones. Its
    ``subnet_ids`` unknown until apply need no warning: a subnet without an
    association uses its VPC's default ACL anyway."""
    acl_id = (
        r.values.get("default_network_acl_id")
        if not b.is_unknown(r, "default_network_acl_id")
        else None
    )
    vpc_id = r.values.get("vpc_id") if not b.is_unknown(r, "vpc_id") else None
    if not acl_id or not vpc_id:
        # default_network_acl_id = aws_vpc.main.default_network_acl_id: that VPC's ACL
        refs = b.references.get(r.address, {}).get("default_network_acl_id", [])
        for ref in refs:
            vpc = ref.removesuffix(".default_network_acl_id")
            if vpc != ref and vpc + ".id" in b.placeholders:
                acl_id = acl_id or "acl-" + hex_of(ref)
                vpc_id = vpc_id or b.placeholders[vpc + ".id"]
                b.warn(r, f"the default ACL of {vpc_id} is unknown until apply; using {acl_id}")
                break
    acl_id = acl_id or b.placeholders[r.address + ".id"]
    known_subnets = not b.is_unknown(r, "subnet_ids")
    _acl(b, r, str(acl_id), vpc_id, default=True, subnets=None if known_subnets else [])


def _acl_of(b: Builder, r: Resource, what: str) -> Json | None:
    acl_id = b.get(r, "network_acl_id")
    acl = b.keyed("ec2", "network_acls").get(str(acl_id)) if acl_id else None
    if acl is None:
        b.warn(
            r,
            f"the network ACL {acl_id or '(unknown)'} is not in this file; this {what} is not "
            "read (the ACL's other entries are unknown)",
        )
    return acl


def _network_acl_rule(b: Builder, r: Resource) -> None:
    acl = _acl_of(b, r, "entry")
    if acl is None:
        return
    block = {
        **r.values,
        "rule_no": r.values.get("rule_number"),
        "action": r.values.get("rule_action"),
    }
    entries = acl["entries"]
    assert isinstance(entries, list)
    entries.extend(_acl_entries(r, [block], bool(r.values.get("egress"))))


def _network_acl_association(b: Builder, r: Resource) -> None:
    acl = _acl_of(b, r, "association")
    subnet = b.get(r, "subnet_id")
    if acl is None or not subnet:
        return
    subnets = acl["subnet_ids"]
    assert isinstance(subnets, list)
    if subnet not in subnets:
        subnets.append(subnet)


# -- prefix lists, peering, endpoints, routes


def _prefix_list(b: Builder, r: Resource) -> None:
    pl_id = str(b.get(r, "id", b.placeholders[r.address + ".id"]))
    if r.unknown.get("entry") is True:
        b.warn(r, "entry is unknown until apply; the prefix list is not read")
        return
    entries = [str(e["cidr"]) for e in r.values.get("entry") or [] if isinstance(e, dict)]
    b.put(
        "ec2",
        "prefix_lists",
        pl_id,
        {
            "prefix_list_id": pl_id,
            "name": r.values.get("name") or None,
            "address_family": r.values.get("address_family") or "IPv4",
            "entries": entries,
            "owner_id": r.values.get("owner_id") or b.account,
            "max_entries": r.values.get("max_entries"),
        },
        r,
    )


def _vpc_cidrs(b: Builder, vpc_id: Any) -> list[str]:
    vpc = next((v for v in b.items("ec2", "vpcs") if v.get("vpc_id") == vpc_id), None)
    cidrs = vpc.get("cidr_blocks") if vpc else None
    return [str(c) for c in cidrs] if isinstance(cidrs, list) else []


def _peering(b: Builder, r: Resource) -> None:
    requester, accepter = b.get(r, "vpc_id"), b.get(r, "peer_vpc_id")
    if not (requester and accepter):
        return
    status = r.values.get("accept_status") if not b.is_unknown(r, "accept_status") else None
    if not status:
        status = "active" if r.values.get("auto_accept") else "pending-acceptance"
        b.warn(r, f"accept_status is unknown until apply; taken as {status}")
    pcx_id = str(b.get(r, "id", b.placeholders[r.address + ".id"]))
    b.put(
        "ec2",
        "vpc_peering_connections",
        pcx_id,
        {
            "peering_connection_id": pcx_id,
            "requester_vpc_id": requester,
            "accepter_vpc_id": accepter,
            "requester_account_id": b.account,
            "accepter_account_id": r.values.get("peer_owner_id") or b.account,
            "requester_cidrs": _vpc_cidrs(b, requester),
            "accepter_cidrs": _vpc_cidrs(b, accepter),
            "status": status,
        },
        r,
    )


_ENDPOINT_TYPES = {
    "interface": "Interface",
    "gateway": "Gateway",
    "gatewayloadbalancer": "GatewayLoadBalancer",
}


def _vpc_endpoint(b: Builder, r: Resource) -> None:
    vpc_id, service = b.get(r, "vpc_id"), r.values.get("service_name")
    # the provider's default type is Gateway
    kind = _ENDPOINT_TYPES.get(str(r.values.get("vpc_endpoint_type") or "Gateway").lower())
    if not (vpc_id and service and kind):
        return
    endpoint_id = str(b.get(r, "id", b.placeholders[r.address + ".id"]))
    policy = r.values.get("policy")
    b.put(
        "ec2",
        "vpc_endpoints",
        endpoint_id,
        {
            "vpc_endpoint_id": endpoint_id,
            "vpc_id": vpc_id,
            "service_name": service,
            "endpoint_type": kind,
            "subnet_ids": b.get_list(r, "subnet_ids"),
            "security_group_ids": b.get_list(r, "security_group_ids"),
            "route_table_ids": b.get_list(r, "route_table_ids"),
            "private_dns_enabled": bool(r.values.get("private_dns_enabled")),
            "policy": doc(policy) if not b.is_unknown(r, "policy") else None,
        },
        r,
    )
    if b.is_unknown(r, "policy"):
        b.warn(r, "policy is unknown until apply; read as the default full-access policy")


#: The attributes of a route that name its target, in the order one is looked for,
#: with the prefix of the ids they hold (for a target unknown until apply).
_ROUTE_TARGETS = (
    ("gateway_id", "igw-"),
    ("nat_gateway_id", "nat-"),
    ("transit_gateway_id", "tgw-"),
    ("vpc_peering_connection_id", "pcx-"),
    ("egress_only_gateway_id", "eigw-"),
    ("network_interface_id", "eni-"),
    ("vpc_endpoint_id", "vpce-"),
)


def _route(b: Builder, r: Resource) -> None:
    table_id = b.get(r, "route_table_id")
    table = next(
        (t for t in b.items("ec2", "route_tables") if t.get("route_table_id") == table_id), None
    )
    if table is None:
        b.warn(
            r,
            f"the route table {table_id or '(unknown)'} is not in this file; the route is not "
            "read (the table's other routes are unknown)",
        )
        return
    destination = (
        r.values.get("destination_cidr_block")
        or r.values.get("destination_ipv6_cidr_block")
        or b.get(r, "destination_prefix_list_id")
    )
    target = next(
        (
            b.get(r, k, prefix + hex_of(f"{r.address}.{k}"))
            for k, prefix in _ROUTE_TARGETS
            if r.values.get(k) or b.is_unknown(r, k)
        ),
        None,
    )
    if not destination:
        b.warn(r, "the route's destination is unknown until apply; the route is not read")
        return
    routes = table["routes"]
    assert isinstance(routes, list)
    routes.append({"destination": destination, "gateway_id": target})


# -- services in the VPC


#: Each engine's default port (RDS's, when the configuration writes none).
_DB_PORTS = {"postgres": 5432, "aurora-postgresql": 5432, "mysql": 3306, "mariadb": 3306,
             "aurora-mysql": 3306, "aurora": 3306, "oracle": 1521, "sqlserver": 1433,
             "db2": 50000}  # fmt: skip


def _subnet_group(section: str) -> Any:
    def read(b: Builder, r: Resource) -> None:
        name = r.values.get("name")
        if isinstance(name, str):
            b.keyed(section, "_subnet_groups")[name] = {"subnet_ids": b.get_list(r, "subnet_ids")}

    return read


def _group_subnets(b: Builder, section: str, name: Any) -> list[str]:
    group = b.keyed(section, "_subnet_groups").get(str(name)) if name else None
    subnets = group.get("subnet_ids") if group else None
    return [str(s) for s in subnets] if isinstance(subnets, list) else []


def _port(b: Builder, r: Resource, engine: str, defaults: dict[str, int]) -> int | None:
    port = r.values.get("port") if not b.is_unknown(r, "port") else None
    if isinstance(port, int) and port > 0:
        return port
    family = next((d for e, d in defaults.items() if engine.startswith(e)), None)
    if family is not None:
        b.warn(r, f"port is not known; taken as {engine}'s default {family}")
    return family


def _db_instance(b: Builder, r: Resource) -> None:
    name = r.values.get("identifier") if not b.is_unknown(r, "identifier") else None
    name = name or r.name
    engine = str(r.values.get("engine") or "")
    port = _port(b, r, engine, _DB_PORTS)
    if not engine or port is None:
        return
    b.put(
        "rds",
        "db_instances",
        str(name),
        {
            "db_instance_id": str(name),
            "engine": engine,
            "port": port,
            "subnet_ids": _group_subnets(b, "rds", b.get(r, "db_subnet_group_name")),
            "security_group_ids": b.get_list(r, "vpc_security_group_ids"),
            "endpoint_address": r.values.get("address") or None,
            "publicly_accessible": bool(r.values.get("publicly_accessible")),
        },
        r,
    )


def _cache_cluster(b: Builder, r: Resource) -> None:
    name = str(r.values.get("cluster_id") or r.name)
    engine = str(r.values.get("engine") or "redis")
    port = _port(b, r, engine, {"redis": 6379, "valkey": 6379, "memcached": 11211})
    if port is None:
        return
    b.put(
        "elasticache",
        "cache_clusters",
        name,
        {
            "cache_cluster_id": name,
            "engine": engine,
            "port": port,
            "subnet_ids": _group_subnets(b, "elasticache", b.get(r, "subnet_group_name")),
            "security_group_ids": b.get_list(r, "security_group_ids"),
        },
        r,
    )


def _mount_target(b: Builder, r: Resource) -> None:
    fs, subnet = b.get(r, "file_system_id"), b.get(r, "subnet_id")
    if not (fs and subnet):
        return
    target_id = str(b.get(r, "id", b.placeholders[r.address + ".id"]))
    b.put(
        "efs",
        "mount_targets",
        target_id,
        {
            "mount_target_id": target_id,
            "file_system_id": fs,
            "subnet_id": subnet,
            "address": r.values.get("ip_address") or None,
            "eni_id": r.values.get("network_interface_id") or None,
            "security_group_ids": b.get_list(r, "security_groups"),
        },
        r,
    )


def _file_system_placeholder(b: Builder, r: Resource) -> None:
    known = r.values.get("id") if not b.is_unknown(r, "id") else None
    b.placeholders[f"{r.address}.id"] = str(known or "fs-" + hex_of(r.address, 8))


HANDLERS = (
    Handler(
        "aws_security_group", _security_group, id_placeholder("id", lambda a: "sg-" + hex_of(a))
    ),
    Handler("aws_security_group_rule", _security_group_rule),
    Handler("aws_vpc_security_group_ingress_rule", _vpc_rule("ingress")),
    Handler("aws_vpc_security_group_egress_rule", _vpc_rule("egress")),
    Handler("aws_network_acl", _network_acl, id_placeholder("id", lambda a: "acl-" + hex_of(a))),
    Handler(
        "aws_default_network_acl",
        _default_network_acl,
        id_placeholder("id", lambda a: "acl-" + hex_of(a)),
    ),
    Handler("aws_network_acl_rule", _network_acl_rule),
    Handler("aws_network_acl_association", _network_acl_association),
    Handler(
        "aws_ec2_managed_prefix_list",
        _prefix_list,
        id_placeholder("id", lambda a: "pl-" + hex_of(a)),
    ),
    Handler(
        "aws_vpc_peering_connection",
        _peering,
        id_placeholder("id", lambda a: "pcx-" + hex_of(a)),
    ),
    Handler("aws_vpc_endpoint", _vpc_endpoint, id_placeholder("id", lambda a: "vpce-" + hex_of(a))),
    Handler("aws_route", _route),
    Handler("aws_db_subnet_group", _subnet_group("rds")),
    Handler("aws_db_instance", _db_instance),
    Handler("aws_elasticache_subnet_group", _subnet_group("elasticache")),
    Handler("aws_elasticache_cluster", _cache_cluster),
    Handler("aws_efs_file_system", lambda b, r: None, _file_system_placeholder),
    Handler(
        "aws_efs_mount_target",
        _mount_target,
        id_placeholder("id", lambda a: "fsmt-" + hex_of(a, 8)),
    ),
)
