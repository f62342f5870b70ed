"""Read ``terraform show -json`` output (a plan or a state) as an aws.json document.

A plan's ``resource_changes`` give each resource's ``after`` values and, in
``after_unknown``, the attributes known only after apply (ids and ARNs AWS
chooses, values computed from them). A state's ``values`` are all known.
Resources being destroyed are left out. Supported resource types are listed
in :data:`RESOURCE_TYPES`; others are ignored.

A value unknown until apply is handled, never guessed silently:

* an id or ARN gets a placeholder derived from the resource address
  (``vpc-`` + hex, ``arn:...:role/NAME``), and an attribute that refers to it
  (``vpc_id = aws_vpc.main.id``, found through the plan's ``configuration``)
  gets the same placeholder, so references still join up;
* any other unknown value is left out (the aws.json default applies);

and each is reported as a warning naming the resource address and the
attribute, so a finding that depends on it can be read with care.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ekstwin.errors import SchemaError
from ekstwin.findings import Diagnostic, DiagnosticLevel
from ekstwin.loaders.aws import AwsDocument
from ekstwin.model.source import Source

__all__ = ["RESOURCE_TYPES", "is_terraform_json", "terraform_to_aws"]

RESOURCE_TYPES = frozenset(
    {
        "aws_eks_cluster",
        "aws_eks_node_group",
        "aws_eks_access_entry",
        "aws_eks_access_policy_association",
        "aws_eks_pod_identity_association",
        "aws_eks_identity_provider_config",
        "aws_iam_role",
        "aws_iam_role_policy",
        "aws_iam_role_policy_attachment",
        "aws_iam_policy",
        "aws_iam_openid_connect_provider",
        "aws_ecr_repository",
        "aws_ecr_repository_policy",
        "aws_kms_key",
        "aws_route53_zone",
        "aws_route53_record",
        "aws_vpc",
        "aws_subnet",
        "aws_route_table",
    }
)

UNKNOWN_ACCOUNT = "000000000000"
_EMPTY_POLICY: dict[str, object] = {"Version": "2012-10-17", "Statement": []}


def is_terraform_json(data: object) -> bool:
    """``terraform show -json`` of a plan or of a state."""
    return (
        isinstance(data, dict)
        and "format_version" in data
        and ("planned_values" in data or "values" in data or "resource_changes" in data)
    )


@dataclass
class _Resource:
    address: str
    type: str
    name: str
    values: dict[str, Any]
    unknown: dict[str, Any]
    pointer: str
    module: str = ""


@dataclass
class _Builder:
    file: str
    lines: Mapping[str, int]
    references: dict[str, dict[str, list[str]]]
    region: str
    account: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    placeholders: dict[str, str] = field(default_factory=dict)
    out_lines: dict[str, int] = field(default_factory=dict)

    def warn(self, r: _Resource, message: str) -> None:
        self.diagnostics.append(
            Diagnostic(
                Source(self.file, self.lines.get(r.pointer, 1)),
                f"{r.address}: {message}",
                "known only after 'terraform apply'; findings that depend on it may change",
                level=DiagnosticLevel.WARNING,
                code="terraform-unknown",
            )
        )

    def is_unknown(self, r: _Resource, attr: str) -> bool:
        return r.unknown.get(attr) is True

    def get(self, r: _Resource, attr: str, placeholder: str | None = None) -> Any:
        """A value; an unknown one becomes the placeholder of what it refers to, or None."""
        if not self.is_unknown(r, attr):
            return r.values.get(attr)
        for ref in self.references.get(r.address, {}).get(attr, []):
            if ref in self.placeholders:
                self.warn(r, f"{attr} is unknown until apply; using {self.placeholders[ref]}")
                return self.placeholders[ref]
        if placeholder is not None:
            self.warn(r, f"{attr} is unknown until apply; using the placeholder {placeholder}")
            return placeholder
        self.warn(r, f"{attr} is unknown until apply; left out")
        return None

    def get_list(self, r: _Resource, attr: str) -> list[str]:
        """A list of ids; unknown items become the placeholders of what they refer to."""
        unknown = r.unknown.get(attr)
        known = [str(v) for v in r.values.get(attr) or [] if v is not None]
        if unknown is True or (isinstance(unknown, list) and any(u is True for u in unknown)):
            refs = self.references.get(r.address, {}).get(attr, [])
            found = [self.placeholders[ref] for ref in refs if ref in self.placeholders]
            self.warn(r, f"{attr} is unknown until apply; using {', '.join(found) or 'nothing'}")
            return known + [f for f in found if f not in known]
        return known

    def note(self, out_pointer: str, r: _Resource) -> None:
        self.out_lines[out_pointer] = self.lines.get(r.pointer, 1)


def _hex(address: str, n: int = 17) -> str:
    return hashlib.sha256(address.encode()).hexdigest()[:n]


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _modules(module: Mapping[str, Any], pointer: str) -> Iterator[tuple[dict[str, Any], str]]:
    for i, r in enumerate(_list(module.get("resources"))):
        if isinstance(r, dict):
            yield r, f"{pointer}/resources/{i}"
    for i, child in enumerate(_list(module.get("child_modules"))):
        if isinstance(child, dict):
            yield from _modules(child, f"{pointer}/child_modules/{i}")


def _resources(data: Mapping[str, Any]) -> list[_Resource]:
    out: list[_Resource] = []
    changes = data.get("resource_changes")
    if isinstance(changes, list):
        for i, rc in enumerate(changes):
            if not isinstance(rc, dict) or not isinstance(rc.get("change") or {}, dict):
                continue
            change = rc.get("change") or {}
            actions = change.get("actions") or []
            if rc.get("mode", "managed") != "managed" or actions == ["delete"]:
                continue
            if rc.get("type") not in RESOURCE_TYPES:
                continue
            unknown = change.get("after_unknown")
            after = change.get("after") or {}
            if not isinstance(after, dict):
                raise SchemaError("change.after must be an object", path=f"/resource_changes/{i}")
            out.append(
                _Resource(
                    str(rc["address"]),
                    str(rc["type"]),
                    str(rc.get("name", "")),
                    dict(after),
                    dict(unknown) if isinstance(unknown, dict) else {},
                    f"/resource_changes/{i}",
                    str(rc.get("module_address", "")),
                )
            )
        return out
    values = data.get("values") or data.get("planned_values") or {}
    key = "/values/root_module" if data.get("values") else "/planned_values/root_module"
    root = (values.get("root_module") or {}) if isinstance(values, dict) else None
    if not isinstance(root, dict):
        raise SchemaError("must be an object", path=key)
    for r, ptr in _modules(root, key):
        if r.get("mode", "managed") != "managed" or r.get("type") not in RESOURCE_TYPES:
            continue
        if not isinstance(r.get("values") or {}, dict):
            raise SchemaError("values must be an object", path=ptr)
        out.append(
            _Resource(
                str(r["address"]),
                str(r["type"]),
                str(r.get("name", "")),
                dict(r.get("values") or {}),
                {},
                ptr,
            )
        )
    return out


def _references(data: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    """address -> attribute -> the addresses (``aws_vpc.main.id``) its expression names."""
    out: dict[str, dict[str, list[str]]] = {}

    def walk(module: Mapping[str, Any], prefix: str) -> None:
        for r in module.get("resources") or []:
            address = prefix + str(r.get("address", ""))
            exprs = r.get("expressions") or {}
            out[address] = {attr: [prefix + ref for ref in _refs(e)] for attr, e in exprs.items()}
        for name, call in (module.get("module_calls") or {}).items():
            walk(call.get("module") or {}, f"{prefix}module.{name}.")

    walk((data.get("configuration") or {}).get("root_module") or {}, "")
    return out


def _refs(expression: Any) -> list[str]:
    """Every reference in an expression, nested blocks included, in order."""
    if isinstance(expression, list):
        return [ref for item in expression for ref in _refs(item)]
    if not isinstance(expression, dict):
        return []
    found = [str(ref) for ref in expression.get("references") or []]
    for key, value in expression.items():
        if key != "references" and isinstance(value, (dict, list)):
            found.extend(_refs(value))
    return found


def _provider_region(data: Mapping[str, Any]) -> str | None:
    providers = (data.get("configuration") or {}).get("provider_config") or {}
    for key, provider in providers.items():
        if str(key).split(".")[0] != "aws":
            continue
        region = ((provider.get("expressions") or {}).get("region") or {}).get("constant_value")
        if isinstance(region, str):
            return region
    return None


_ARN_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):")


def _account(resources: list[_Resource]) -> str | None:
    for r in resources:
        for value in r.values.values():
            if isinstance(value, str):
                m = _ARN_ACCOUNT.match(value)
                if m:
                    return m.group(1)
    return None


_ARN_REGION = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d+):")


def _arn_region(resources: list[_Resource]) -> str | None:
    """The region in the first regional ARN, when the provider's region is not written."""
    for r in resources:
        for value in r.values.values():
            if isinstance(value, str) and (m := _ARN_REGION.match(value)):
                return m.group(1)
    return None


def _doc(value: Any) -> dict[str, object] | None:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip():
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def _first(value: Any) -> dict[str, Any]:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return value if isinstance(value, dict) else {}


def _strs(value: Any) -> list[str]:
    """A list of strings; an element unknown until apply is null in ``after``
    (Terraform's jsonplan omits unknown attributes and nulls unknown list
    elements) and is left out."""
    return [str(v) for v in value if v is not None] if isinstance(value, list) else []


def _tags(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def terraform_to_aws(
    data: Mapping[str, Any], file: str, lines: Mapping[str, int] | None = None
) -> tuple[AwsDocument, list[Diagnostic]]:
    """One aws.json document (one account) from a Terraform plan or state."""
    lines = lines or {}
    resources = _resources(data)
    region = _provider_region(data) or _arn_region(resources) or "us-east-1"
    account = _account(resources)
    b = _Builder(file, lines, _references(data), region, account or UNKNOWN_ACCOUNT)
    if not resources:
        b.diagnostics.append(
            Diagnostic(
                Source(file, 1),
                "this Terraform plan or state holds none of the AWS resource types ekstwin reads",
                "see docs/collect.md for the resource types read from Terraform",
                level=DiagnosticLevel.WARNING,
                code="terraform",
            )
        )
    if account is None and resources:
        b.diagnostics.append(
            Diagnostic(
                Source(file, 1),
                f"no ARN in this Terraform file names the AWS account; ARNs use {UNKNOWN_ACCOUNT}",
                "add a known ARN (for example a data.aws_caller_identity output), or collect "
                "the account with 'ekstwin collect aws'",
                level=DiagnosticLevel.WARNING,
                code="terraform-unknown",
            )
        )
    by_type: dict[str, list[_Resource]] = {}
    for r in resources:
        by_type.setdefault(r.type, []).append(r)
        _placeholder(b, r)
    acct = b.account
    arn = f"arn:aws:iam::{acct}"

    # -- EC2
    vpcs: list[dict[str, object]] = []
    for r in by_type.get("aws_vpc", []):
        b.note(f"/accounts/0/ec2/vpcs/{len(vpcs)}", r)
        vpc: dict[str, object] = {"vpc_id": b.get(r, "id", b.placeholders[r.address + ".id"])}
        if r.values.get("cidr_block"):
            vpc["cidr_blocks"] = [r.values["cidr_block"]]
        vpc["region"] = r.values.get("region") or region
        vpc["tags"] = _tags(r.values.get("tags"))
        vpcs.append(vpc)
    subnets: list[dict[str, object]] = []
    for r in by_type.get("aws_subnet", []):
        vpc_id, cidr, az = b.get(r, "vpc_id"), b.get(r, "cidr_block"), b.get(r, "availability_zone")
        if not (vpc_id and cidr and az):
            continue
        b.note(f"/accounts/0/ec2/subnets/{len(subnets)}", r)
        subnets.append(
            {
                "subnet_id": b.get(r, "id", b.placeholders[r.address + ".id"]),
                "vpc_id": vpc_id,
                "cidr": cidr,
                "availability_zone": az,
                "map_public_ip_on_launch": bool(r.values.get("map_public_ip_on_launch")),
                "tags": _tags(r.values.get("tags")),
            }
        )
    tables: list[dict[str, object]] = []
    for r in by_type.get("aws_route_table", []):
        vpc_id = b.get(r, "vpc_id")
        if not vpc_id:
            continue
        routes = []
        for route in r.values.get("route") or []:
            target = next(
                (
                    route[k]
                    for k in (
                        "gateway_id",
                        "nat_gateway_id",
                        "transit_gateway_id",
                        "vpc_peering_connection_id",
                        "egress_only_gateway_id",
                        "network_interface_id",
                        "vpc_endpoint_id",
                    )
                    if route.get(k)
                ),
                None,
            )
            destination = route.get("cidr_block") or route.get("ipv6_cidr_block")
            if destination:
                routes.append({"destination": destination, "gateway_id": target})
        if r.unknown.get("route"):
            b.warn(r, "some routes are unknown until apply; only the known ones are read")
        b.note(f"/accounts/0/ec2/route_tables/{len(tables)}", r)
        tables.append(
            {
                "route_table_id": b.get(r, "id", b.placeholders[r.address + ".id"]),
                "vpc_id": vpc_id,
                "routes": routes,
            }
        )

    # -- IAM
    roles: dict[str, dict[str, object]] = {}
    role_pointer: dict[str, _Resource] = {}
    for r in by_type.get("aws_iam_role", []):
        name = b.get(r, "name") or r.name
        trust = _doc(b.get(r, "assume_role_policy"))
        if trust is None:
            b.warn(r, "assume_role_policy is not known; the role trusts nobody in the model")
        role: dict[str, object] = {
            "name": name,
            "arn": b.get(r, "arn", f"{arn}:role{r.values.get('path') or '/'}{name}"),
            "path": r.values.get("path") or "/",
            "trust_policy": trust or _EMPTY_POLICY,
            "inline_policies": {
                str(p["name"]): d
                for p in r.values.get("inline_policy") or []
                if isinstance(p, dict) and p.get("name") and (d := _doc(p.get("policy")))
            },
            "attached_policy_arns": _strs(r.values.get("managed_policy_arns")),
            "permissions_boundary_arn": r.values.get("permissions_boundary") or None,
            "max_session_duration": int(r.values.get("max_session_duration") or 3600),
            "tags": _tags(r.values.get("tags")),
        }
        roles[str(name)] = role
        role_pointer[str(name)] = r
        b.placeholders[r.address + ".name"] = str(name)
    for r in by_type.get("aws_iam_role_policy", []):
        role_name = b.get(r, "role")
        document = _doc(b.get(r, "policy"))
        if role_name in roles and document is not None:
            inline = roles[str(role_name)]["inline_policies"]
            assert isinstance(inline, dict)
            inline[str(b.get(r, "name") or r.name)] = document
    policies: list[dict[str, object]] = []
    for r in by_type.get("aws_iam_policy", []):
        document = _doc(b.get(r, "policy"))
        name = b.get(r, "name") or r.name
        if document is None:
            b.warn(r, "policy document unknown until apply; the policy is left out")
            continue
        b.note(f"/accounts/0/iam/policies/{len(policies)}", r)
        policies.append(
            {
                "arn": b.get(r, "arn", f"{arn}:policy{r.values.get('path') or '/'}{name}"),
                "name": name,
                "path": r.values.get("path") or "/",
                "document": document,
            }
        )
    for r in by_type.get("aws_iam_role_policy_attachment", []):
        role_name, policy_arn = b.get(r, "role"), b.get(r, "policy_arn")
        if role_name in roles and policy_arn:
            attached = roles[str(role_name)]["attached_policy_arns"]
            assert isinstance(attached, list)
            if policy_arn not in attached:
                attached.append(policy_arn)
    oidc: list[dict[str, object]] = []
    for r in by_type.get("aws_iam_openid_connect_provider", []):
        url = b.get(r, "url")
        if not url:
            continue
        host = str(url).removeprefix("https://")
        b.note(f"/accounts/0/iam/oidc_providers/{len(oidc)}", r)
        oidc.append(
            {
                "arn": b.get(r, "arn", f"{arn}:oidc-provider/{host}"),
                "url": host,
                "client_ids": _strs(r.values.get("client_id_list")),
                "thumbprints": _strs(r.values.get("thumbprint_list")),
            }
        )

    # -- KMS
    keys: list[dict[str, object]] = []
    for r in by_type.get("aws_kms_key", []):
        key_id = b.get(r, "key_id", b.placeholders[r.address + ".key_id"])
        key: dict[str, object] = {
            "key_id": key_id,
            "arn": b.get(r, "arn", f"arn:aws:kms:{region}:{acct}:key/{key_id}"),
            "region": region,
            "description": str(r.values.get("description") or ""),
            "key_state": "Enabled" if r.values.get("is_enabled", True) else "Disabled",
            "key_usage": str(r.values.get("key_usage") or "ENCRYPT_DECRYPT"),
            "key_spec": str(r.values.get("customer_master_key_spec") or "SYMMETRIC_DEFAULT"),
            "rotation_enabled": bool(r.values.get("enable_key_rotation")),
        }
        configured = b.references.get(r.address)
        if b.is_unknown(r, "policy") and configured is not None and "policy" not in configured:
            # no policy in the configuration: KMS gives the key its default key policy
            key["policy"] = {
                "Version": "2012-10-17",
                "Id": "key-default-1",
                "Statement": [
                    {
                        "Sid": "Enable IAM User Permissions",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                        "Action": "kms:*",
                        "Resource": "*",
                    }
                ],
            }
        elif (policy := _doc(b.get(r, "policy"))) is not None:
            key["policy"] = policy
        b.note(f"/accounts/0/kms/keys/{len(keys)}", r)
        keys.append(key)

    # -- ECR
    repos: dict[str, dict[str, object]] = {}
    for r in by_type.get("aws_ecr_repository", []):
        name = str(b.get(r, "name") or r.name)
        scanning = _first(r.values.get("image_scanning_configuration"))
        encryption = _first(r.values.get("encryption_configuration"))
        b.placeholders[r.address + ".name"] = name
        b.note(f"/accounts/0/ecr/repositories/{len(repos)}", r)
        repos[name] = {
            "name": name,
            "arn": b.get(r, "arn", f"arn:aws:ecr:{region}:{acct}:repository/{name}"),
            "uri": r.values.get("repository_url")
            or f"{acct}.dkr.ecr.{region}.amazonaws.com/{name}",
            "region": region,
            "tag_mutability": str(r.values.get("image_tag_mutability") or "MUTABLE"),
            "scan_on_push": bool(scanning.get("scan_on_push")),
            "encryption": {
                "type": str(encryption.get("encryption_type") or "AES256"),
                "kms_key": encryption.get("kms_key") or None,
            },
        }
    for r in by_type.get("aws_ecr_repository_policy", []):
        name = b.get(r, "repository")
        policy = _doc(b.get(r, "policy"))
        if name in repos and policy is not None:
            repos[str(name)]["policy"] = policy

    # -- Route53
    zones: dict[str, dict[str, object]] = {}
    for r in by_type.get("aws_route53_zone", []):
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
    for r in by_type.get("aws_route53_record", []):
        zone_id = b.get(r, "zone_id")
        if zone_id not in zones:
            continue
        alias = _first(r.values.get("alias"))
        record: dict[str, object] = {
            "name": b.get(r, "name"),
            "type": r.values.get("type"),
            "ttl": r.values.get("ttl"),
            "values": _strs(r.values.get("records")),
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

    # -- EKS
    clusters: dict[str, dict[str, object]] = {}
    for r in by_type.get("aws_eks_cluster", []):
        name = str(b.get(r, "name") or r.name)
        vpc = _first(r.values.get("vpc_config"))
        access = _first(r.values.get("access_config"))
        net = _first(r.values.get("kubernetes_network_config"))
        identity = _first(_first(r.values.get("identity")).get("oidc"))
        cluster: dict[str, object] = {
            "name": name,
            "region": region,
            "arn": b.get(r, "arn", f"arn:aws:eks:{region}:{acct}:cluster/{name}"),
            "version": b.get(r, "version") or "1.31",
            "role_arn": b.get(r, "role_arn"),
            "subnet_ids": _strs(vpc.get("subnet_ids")) or _nested_refs(b, r, "vpc_config"),
            "endpoint": {
                "public_access": bool(vpc.get("endpoint_public_access", True)),
                "private_access": bool(vpc.get("endpoint_private_access", False)),
                "public_access_cidrs": _strs(vpc.get("public_access_cidrs")) or ["0.0.0.0/0"],
            },
            "encryption_config": _encryption(b, r),
            "oidc_issuer": identity.get("issuer") or None,
            "authentication_mode": str(access.get("authentication_mode") or "CONFIG_MAP"),
            "logging": {"enabled_types": _strs(r.values.get("enabled_cluster_log_types"))},
            "tags": _tags(r.values.get("tags")),
            "access_entries": [],
            "pod_identity_associations": [],
            "identity_provider_configs": [],
            "node_groups": [],
        }
        if "bootstrap_cluster_creator_admin_permissions" in access:
            cluster["bootstrap_cluster_creator_admin_permissions"] = bool(
                access["bootstrap_cluster_creator_admin_permissions"]
            )
        if net.get("service_ipv4_cidr"):
            cluster["service_ipv4_cidr"] = net["service_ipv4_cidr"]
        if vpc.get("vpc_id"):
            cluster["vpc_id"] = vpc["vpc_id"]
        if r.unknown.get("vpc_config"):
            _unknown_nested(b, r, "vpc_config")
        b.placeholders[r.address + ".name"] = name
        b.placeholders[r.address + ".id"] = name
        b.note(f"/accounts/0/eks/clusters/{len(clusters)}", r)
        clusters[name] = cluster
    entries: dict[tuple[str, str], dict[str, object]] = {}
    for r in by_type.get("aws_eks_access_entry", []):
        cluster_name, principal = b.get(r, "cluster_name"), b.get(r, "principal_arn")
        if cluster_name not in clusters or not principal:
            continue
        entry: dict[str, object] = {
            "principal_arn": principal,
            "type": str(r.values.get("type") or "STANDARD"),
            "username": r.values.get("user_name") or None,
            "kubernetes_groups": _strs(r.values.get("kubernetes_groups")),
            "access_policies": [],
        }
        entries[(str(cluster_name), str(principal))] = entry
        listed = clusters[str(cluster_name)]["access_entries"]
        assert isinstance(listed, list)
        listed.append(entry)
    for r in by_type.get("aws_eks_access_policy_association", []):
        key2 = (str(b.get(r, "cluster_name")), str(b.get(r, "principal_arn")))
        scope = _first(r.values.get("access_scope"))
        if key2 not in entries:
            continue
        policies_list = entries[key2]["access_policies"]
        assert isinstance(policies_list, list)
        policies_list.append(
            {
                "policy_arn": r.values.get("policy_arn"),
                "access_scope": {
                    "type": str(scope.get("type") or "cluster"),
                    "namespaces": _strs(scope.get("namespaces")),
                },
            }
        )
    for r in by_type.get("aws_eks_pod_identity_association", []):
        cluster_name, role_arn = b.get(r, "cluster_name"), b.get(r, "role_arn")
        if cluster_name not in clusters or not role_arn:
            continue
        listed = clusters[str(cluster_name)]["pod_identity_associations"]
        assert isinstance(listed, list)
        listed.append(
            {
                "namespace": r.values.get("namespace"),
                "service_account": r.values.get("service_account"),
                "role_arn": role_arn,
                "target_role_arn": r.values.get("target_role_arn") or None,
                "external_id": r.values.get("external_id") or None,
                "disable_session_tags": bool(r.values.get("disable_session_tags")),
            }
        )
    for r in by_type.get("aws_eks_identity_provider_config", []):
        cluster_name = b.get(r, "cluster_name")
        idp = _first(r.values.get("oidc"))
        if cluster_name not in clusters or not idp:
            continue
        configs = clusters[str(cluster_name)]["identity_provider_configs"]
        assert isinstance(configs, list)
        configs.append(
            {
                "name": idp.get("identity_provider_config_name") or r.name,
                "type": "oidc",
                "issuer_url": idp.get("issuer_url"),
                "client_id": idp.get("client_id"),
                "username_claim": idp.get("username_claim") or "sub",
                "username_prefix": idp.get("username_prefix") or None,
                "groups_claim": idp.get("groups_claim") or None,
                "groups_prefix": idp.get("groups_prefix") or None,
                "required_claims": _tags(idp.get("required_claims")),
                "status": str(r.values.get("status") or "ACTIVE"),
            }
        )
    for r in by_type.get("aws_eks_node_group", []):
        cluster_name = b.get(r, "cluster_name")
        if cluster_name not in clusters:
            continue
        scaling = _first(r.values.get("scaling_config"))
        group: dict[str, object] = {
            "name": b.get(r, "node_group_name") or r.name,
            "instance_types": _strs(r.values.get("instance_types")),
            "subnet_ids": b.get_list(r, "subnet_ids"),
            "node_role_arn": b.get(r, "node_role_arn"),
            "ami_type": r.values.get("ami_type"),
            "capacity_type": r.values.get("capacity_type"),
            "scaling": {
                "min": int(scaling.get("min_size", 1)),
                "max": int(scaling.get("max_size", 1)),
                "desired": int(scaling.get("desired_size", 1)),
            },
            "labels": _tags(r.values.get("labels")),
            "taints": [
                {k: str(t[k]) for k in ("key", "value", "effect") if t.get(k) is not None}
                for t in r.values.get("taint") or []
            ],
        }
        listed = clusters[str(cluster_name)]["node_groups"]
        assert isinstance(listed, list)
        listed.append(group)

    for i, name in enumerate(roles):
        b.note(f"/accounts/0/iam/roles/{i}", role_pointer[name])
    account_doc: dict[str, object] = {
        "id": acct,
        "eks": {"clusters": list(clusters.values())},
        "ec2": {"vpcs": vpcs, "subnets": subnets, "route_tables": tables},
        "iam": {"roles": list(roles.values()), "policies": policies, "oidc_providers": oidc},
        "ecr": {"repositories": list(repos.values())},
        "route53": {"hosted_zones": list(zones.values())},
        "kms": {"keys": keys},
    }
    out: dict[str, object] = {
        "format": "ekstwin-aws",
        "version": 1,
        "generated_by": "ekstwin (terraform show -json)",
        "accounts": [account_doc],
    }
    return AwsDocument(file, _prune(out), dict(b.out_lines)), b.diagnostics


def _encryption(b: _Builder, r: _Resource) -> list[dict[str, object]]:
    """encryption_config; a key ARN unknown until apply is the referenced key's placeholder."""
    out: list[dict[str, object]] = []
    refs = b.references.get(r.address, {}).get("encryption_config", [])
    for e in r.values.get("encryption_config") or []:
        key_arn = _first(e.get("provider")).get("key_arn")
        if not key_arn:
            key_arn = next((b.placeholders[x] for x in refs if x in b.placeholders), None)
            b.warn(
                r,
                "encryption_config key_arn is unknown until apply; "
                + (f"using {key_arn}" if key_arn else "left out"),
            )
        if key_arn:
            out.append({"resources": _strs(e.get("resources")), "key_arn": str(key_arn)})
    return out


def _nested_refs(b: _Builder, r: _Resource, block: str) -> list[str]:
    """Ids a nested block refers to (``vpc_config { subnet_ids = [aws_subnet.a.id] }``)."""
    refs = b.references.get(r.address, {}).get(block, [])
    return [b.placeholders[ref] for ref in refs if ref in b.placeholders and ".id" in ref]


def _unknown_nested(b: _Builder, r: _Resource, attr: str) -> None:
    value = r.unknown.get(attr)
    first = _first(value)
    names = sorted(k for k, v in first.items() if v is True) if first else []
    if names:
        b.warn(r, f"{attr}: {', '.join(names)} unknown until apply; left out")


_PLACEHOLDER_IDS = {
    "aws_vpc": ("id", "vpc-"),
    "aws_subnet": ("id", "subnet-"),
    "aws_route_table": ("id", "rtb-"),
    "aws_kms_key": ("key_id", ""),
    "aws_route53_zone": ("zone_id", "Z"),
}


def _placeholder(b: _Builder, r: _Resource) -> None:
    """Record the placeholder of the resource's id/ARN so references to it join up."""
    spec = _PLACEHOLDER_IDS.get(r.type)
    if spec is not None:
        attr, prefix = spec
        if r.type == "aws_kms_key":
            h = _hex(r.address, 32)
            value = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
        elif r.type == "aws_route53_zone":
            value = prefix + _hex(r.address, 20).upper()
        else:
            value = prefix + _hex(r.address)
        known = r.values.get(attr) if not b.is_unknown(r, attr) else None
        b.placeholders[f"{r.address}.{attr}"] = str(known or value)
        b.placeholders[f"{r.address}.id"] = str(known or value)
        if r.type == "aws_kms_key":
            arn = r.values.get("arn") or f"arn:aws:kms:{b.region}:{b.account}:key/{known or value}"
            b.placeholders[f"{r.address}.arn"] = str(arn)
        return
    name = r.values.get("name")
    if not isinstance(name, str):
        return
    path = r.values.get("path") or "/"
    arns = {
        "aws_iam_role": f"arn:aws:iam::{b.account}:role{path}{name}",
        "aws_iam_policy": f"arn:aws:iam::{b.account}:policy{path}{name}",
    }
    if r.type in arns:
        b.placeholders[f"{r.address}.arn"] = str(r.values.get("arn") or arns[r.type])
        b.placeholders[f"{r.address}.name"] = name
        b.placeholders[f"{r.address}.id"] = name
    if r.type == "aws_ecr_repository":
        b.placeholders[f"{r.address}.name"] = name
        b.placeholders[f"{r.address}.id"] = name
    if r.type == "aws_eks_cluster":
        b.placeholders[f"{r.address}.name"] = name
        b.placeholders[f"{r.address}.id"] = name


def _prune(value: Any) -> Any:
    """Drop None values from objects where aws.json has no null (it keeps defaults)."""
    if isinstance(value, dict):
        return {
            k: _prune(v)
            for k, v in value.items()
            if v is not None
            or k
            in {
                "username",
                "target_role_arn",
                "alias_target",
                "set_identifier",
                "kms_key",
                "permissions_boundary_arn",
                "oidc_issuer",
                "role_arn",
                "ami_type",
                "capacity_type",
                "node_role_arn",
                "ttl",
            }
        }
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value
