"""A Terraform plan or state as one aws.json document: the handler table and the
walk over it."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ekstwin.errors import SchemaError
from ekstwin.findings import Diagnostic, DiagnosticLevel
from ekstwin.loaders.aws import AwsDocument
from ekstwin.loaders.interface import InputFormat, Loaded
from ekstwin.loaders.terraform import ec2, ecr, eks, iam, kms, route53, vpc
from ekstwin.loaders.terraform.builder import Builder, Handler, Json
from ekstwin.loaders.terraform.plan import (
    Resource,
    account,
    arn_region,
    is_terraform_json,
    provider_region,
    references,
    resources,
)
from ekstwin.model.source import Source

__all__ = ["HANDLERS", "INPUT_FORMAT", "RESOURCE_TYPES", "UNKNOWN_ACCOUNT", "terraform_to_aws"]

#: resource type -> its handler, in the order they read (a type may read what an
#: earlier one wrote: a role policy its role, a node group its cluster).
HANDLERS: Mapping[str, Handler] = MappingProxyType(
    {h.type: h for module in (ec2, vpc, iam, kms, ecr, route53, eks) for h in module.HANDLERS}
)

#: The Terraform resource types read; others are ignored.
RESOURCE_TYPES = frozenset(HANDLERS)

UNKNOWN_ACCOUNT = "000000000000"

#: The sections of the account document, in the order written.
_LAYOUT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("eks", ("clusters",)),
    ("ec2", ("vpcs", "subnets", "route_tables")),
    ("iam", ("roles", "policies", "oidc_providers")),
    ("ecr", ("repositories",)),
    ("route53", ("hosted_zones",)),
    ("kms", ("keys",)),
)

#: The sections of the VPC network, written when the file has any of them.
_NETWORK_LAYOUT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ec2", ("security_groups", "prefix_lists", "network_acls", "vpc_peering_connections",
             "vpc_endpoints")),
    ("rds", ("db_instances",)),
    ("elasticache", ("cache_clusters",)),
    ("efs", ("mount_targets",)),
)  # fmt: skip

#: Keys whose null is kept (aws.json has no null elsewhere; it keeps defaults).
_NULL_KEPT = frozenset(
    {
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
)


def terraform_to_aws(
    data: Mapping[str, Any], file: str, lines: Mapping[str, int] | None = None
) -> tuple[AwsDocument, list[Diagnostic]]:
    """One aws.json document (one account) from a Terraform plan or state."""
    lines = lines or {}
    found = resources(data, RESOURCE_TYPES)
    region = provider_region(data) or arn_region(found) or "us-east-1"
    acct = account(found)
    b = Builder(file, lines, references(data), region, acct or UNKNOWN_ACCOUNT)
    if not found:
        b.diagnostics.append(
            Diagnostic(
                Source(file, 1),
                "this Terraform plan or state holds none of the AWS resource types ekstwin reads",
                "see docs/collect.md for the resource types read from Terraform",
                level=DiagnosticLevel.WARNING,
                code="terraform",
            )
        )
    if acct is None and found:
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
    by_type: dict[str, list[Resource]] = {}
    for r in found:
        by_type.setdefault(r.type, []).append(r)
        placeholder = HANDLERS[r.type].placeholder
        if placeholder is not None:
            placeholder(b, r)
    for type_, handler in HANDLERS.items():
        for r in by_type.get(type_, []):
            handler.read(b, r)
    b.note_put()
    account_doc: Json = {"id": b.account}
    for section, keys in _LAYOUT:
        account_doc[section] = {key: b.collection(section, key) for key in keys}
    for section, keys in _NETWORK_LAYOUT:
        for key in keys:
            if found_objects := b.collection(section, key):
                part = account_doc.setdefault(section, {})
                assert isinstance(part, dict)
                part[key] = found_objects
    out: Json = {
        "format": "ekstwin-aws",
        "version": 1,
        "generated_by": "ekstwin (terraform show -json)",
        "accounts": [account_doc],
    }
    return AwsDocument(file, _prune(out), dict(b.out_lines)), b.diagnostics


def _prune(value: Any) -> Any:
    """Drop None values from objects where aws.json has no null (it keeps defaults)."""
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v is not None or k in _NULL_KEPT}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def _load(data: object, source: Source, lines: dict[str, int]) -> Loaded:
    assert isinstance(data, dict)
    try:
        doc, diags = terraform_to_aws(data, source.file, lines)
    except (SchemaError, AttributeError, TypeError, KeyError, ValueError, IndexError) as exc:
        # The converter trusts Terraform's own shape; a hand-edited file may not have it.
        what = str(exc) if isinstance(exc, SchemaError) else f"{type(exc).__name__} {exc}"
        where = source
        if isinstance(exc, SchemaError) and exc.path in lines:
            where = Source(source.file, lines[exc.path])
        problem = Diagnostic(
            where,
            f"not the shape of 'terraform show -json' output: {what}; the file was not read",
            "give the output of 'terraform show -json PLANFILE' unchanged",
            code="terraform",
        )
        return Loaded(diagnostics=(problem,))
    return Loaded(aws=(doc,), diagnostics=tuple(diags))


#: ``terraform show -json`` of a plan or a state: its AWS resources as aws.json.
INPUT_FORMAT = InputFormat("terraform", is_terraform_json, _load)
