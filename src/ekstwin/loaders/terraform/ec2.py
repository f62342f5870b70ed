"""EC2: ``aws_vpc``, ``aws_subnet``, ``aws_route_table``."""

from __future__ import annotations

from ekstwin.loaders.terraform.builder import Builder, Handler, Json, hex_of, id_placeholder, tags
from ekstwin.loaders.terraform.plan import Resource

__all__ = ["HANDLERS"]


def _vpc(b: Builder, r: Resource) -> None:
    vpcs = b.items("ec2", "vpcs")
    b.note(f"/accounts/0/ec2/vpcs/{len(vpcs)}", r)
    vpc: Json = {"vpc_id": b.get(r, "id", b.placeholders[r.address + ".id"])}
    if r.values.get("cidr_block"):
        vpc["cidr_blocks"] = [r.values["cidr_block"]]
    vpc["region"] = r.values.get("region") or b.region
    vpc["tags"] = tags(r.values.get("tags"))
    vpcs.append(vpc)
    if r.actions == ("create",) and not _default_acl_managed(b, r):
        _default_acl(b, r, str(vpc["vpc_id"]))


def _default_acl_managed(b: Builder, r: Resource) -> bool:
    """Whether an ``aws_default_network_acl`` of the file takes over the VPC's default ACL."""
    ref = f"{r.address}.default_network_acl_id"
    return any(
        address.split(".")[-2] == "aws_default_network_acl"
        and ref in attrs.get("default_network_acl_id", [])
        for address, attrs in b.references.items()
        if "." in address
    )


def _default_acl(b: Builder, r: Resource, vpc_id: str) -> None:
    """The default network ACL EC2 gives a VPC it creates: every protocol, address and
    port allowed in and out (rule 100; rule 101 for IPv6 when the VPC gets an IPv6
    block), then the ``*`` deny. A plan that creates the VPC without an
    ``aws_default_network_acl`` leaves it so. Only for a VPC the plan creates: the
    default ACL of an existing VPC may have been changed outside the file."""
    entries: list[Json] = []
    cidrs = ["0.0.0.0/0"] + (["::/0"] if r.values.get("assign_generated_ipv6_cidr_block") else [])
    for egress in (False, True):
        for number, cidr in enumerate(cidrs, start=100):
            entries.append(
                {"rule_number": number, "egress": egress, "action": "allow", "protocol": "-1",
                 "cidr": cidr}
            )  # fmt: skip
    acl_id = "acl-" + hex_of(f"{r.address}.default_network_acl_id")
    b.put(
        "ec2",
        "network_acls",
        acl_id,
        {"network_acl_id": acl_id, "vpc_id": vpc_id, "is_default": True, "entries": entries},
        r,
    )


def _subnet(b: Builder, r: Resource) -> None:
    vpc_id, cidr, az = b.get(r, "vpc_id"), b.get(r, "cidr_block"), b.get(r, "availability_zone")
    if not (vpc_id and cidr and az):
        return
    subnets = b.items("ec2", "subnets")
    b.note(f"/accounts/0/ec2/subnets/{len(subnets)}", r)
    subnets.append(
        {
            "subnet_id": b.get(r, "id", b.placeholders[r.address + ".id"]),
            "vpc_id": vpc_id,
            "cidr": cidr,
            "availability_zone": az,
            "map_public_ip_on_launch": bool(r.values.get("map_public_ip_on_launch")),
            "tags": tags(r.values.get("tags")),
        }
    )


#: The attributes of a route that name its target, in the order one is looked for.
_ROUTE_TARGETS = (
    "gateway_id",
    "nat_gateway_id",
    "transit_gateway_id",
    "vpc_peering_connection_id",
    "egress_only_gateway_id",
    "network_interface_id",
    "vpc_endpoint_id",
)


def _route_table(b: Builder, r: Resource) -> None:
    vpc_id = b.get(r, "vpc_id")
    if not vpc_id:
        return
    routes = []
    for route in r.values.get("route") or []:
        target = next((route[k] for k in _ROUTE_TARGETS if route.get(k)), None)
        destination = (
            route.get("cidr_block")
            or route.get("ipv6_cidr_block")
            or route.get("destination_prefix_list_id")
        )
        if destination:
            routes.append({"destination": destination, "gateway_id": target})
    if r.unknown.get("route"):
        b.warn(r, "some routes are unknown until apply; only the known ones are read")
    tables = b.items("ec2", "route_tables")
    b.note(f"/accounts/0/ec2/route_tables/{len(tables)}", r)
    tables.append(
        {
            "route_table_id": b.get(r, "id", b.placeholders[r.address + ".id"]),
            "vpc_id": vpc_id,
            "routes": routes,
        }
    )


HANDLERS = (
    Handler("aws_vpc", _vpc, id_placeholder("id", lambda a: "vpc-" + hex_of(a))),
    Handler("aws_subnet", _subnet, id_placeholder("id", lambda a: "subnet-" + hex_of(a))),
    Handler("aws_route_table", _route_table, id_placeholder("id", lambda a: "rtb-" + hex_of(a))),
)
