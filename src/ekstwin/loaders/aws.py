"""Load ``aws.json`` documents (the twin's AWS account format) into :class:`AwsState`.

The format is documented in ``docs/aws-json.md`` and specified by
``ekstwin/schemas/aws.schema.json``. Loading is forgiving: each document is
validated against the schema, and an invalid object (a role, a subnet, a
record...) is reported as a :class:`Diagnostic` and left out while its
siblings load. Unknown fields are reported and ignored. Several documents
merge: the same account in two files merges its sections, and a second
object with the same id or ARN is reported and the first one kept.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ekstwin.findings import Diagnostic, DiagnosticLevel
from ekstwin.loaders import schemacheck
from ekstwin.loaders.interface import InputFormat, Loaded
from ekstwin.loaders.jsonlines import json_path, line_of, pointer, pointer_lines
from ekstwin.model.aws import (
    AccessEntry,
    AccessEntryType,
    AccessPolicyAssociation,
    AccessScope,
    AccessScopeType,
    Account,
    Addon,
    AliasTarget,
    AuthenticationMode,
    AwsState,
    CollectionGap,
    DnsRecord,
    EcrEncryption,
    EcrEncryptionType,
    EcrImage,
    EcrRepository,
    EksCluster,
    EncryptionConfig,
    EndpointAccess,
    HostedZone,
    HttpEndpoint,
    HttpTokens,
    IamRole,
    Instance,
    InternetGateway,
    KeyManager,
    KeyState,
    KmsKey,
    Listener,
    ListenerRule,
    LoadBalancer,
    LoadBalancerScheme,
    LoadBalancerType,
    ManagedPolicy,
    MetadataOptions,
    NatGateway,
    NetworkInterface,
    NodeGroup,
    NodeGroupScaling,
    OidcIdentityProviderConfig,
    OidcProvider,
    Organization,
    PodIdentityAssociation,
    PolicyDocument,
    Route,
    RouteTable,
    SamlProvider,
    Subnet,
    TagMutability,
    Vpc,
    VpcCniSettings,
)
from ekstwin.model.source import Source
from ekstwin.model.vpc import (
    ALL_PROTOCOLS,
    ICMP,
    ICMPV6,
    TCP,
    UDP,
    CacheCluster,
    DatabaseInstance,
    EfsMountTarget,
    ManagedPrefixList,
    NaclAction,
    NetworkAcl,
    NetworkAclEntry,
    SecurityGroup,
    SecurityGroupRule,
    ServiceInterface,
    VpcEndpoint,
    VpcEndpointType,
    VpcPeeringConnection,
    protocol_number,
)

__all__ = [
    "FORMAT",
    "INPUT_FORMAT",
    "SUPPORTED_VERSIONS",
    "AwsDocument",
    "build_aws",
    "is_aws_document",
    "load_aws_text",
]

FORMAT = "ekstwin-aws"
SUPPORTED_VERSIONS: tuple[int, ...] = (1,)
DOCS = "docs/aws-json.md"

Path = tuple[str | int, ...]
_T = TypeVar("_T")

if TYPE_CHECKING:  # jsonschema is imported when an aws.json is read
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError


@dataclass(frozen=True, slots=True)
class AwsDocument:
    """One parsed ``aws.json``: its file, its data, and the line of every JSON Pointer."""

    file: str
    data: dict[str, object]
    lines: dict[str, int] = field(default_factory=dict, hash=False)


def is_aws_document(data: object) -> bool:
    """Is this parsed JSON an aws.json document (a mapping with ``format: ekstwin-aws``)?"""
    return (data.__class__ is dict or isinstance(data, Mapping)) and data.get("format") == FORMAT


def load_aws_text(text: str, file: str) -> tuple[AwsDocument | None, list[Diagnostic]]:
    """Parse the text of an aws.json file. A JSON syntax error becomes a Diagnostic."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [
            Diagnostic(
                Source(file, exc.lineno),
                f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                "fix the JSON syntax; the file was not loaded",
                code="aws-json-syntax",
            )
        ]
    if not isinstance(data, dict):
        return None, [
            Diagnostic(
                Source(file, 1),
                f"an aws.json document must be a JSON object, found {_json_type(data)}",
                f'start the file with {{"format": "{FORMAT}", "version": 1, ...}}',
                code="aws-schema",
            )
        ]
    return AwsDocument(file, data, pointer_lines(text)), []


def _load(data: object, source: Source, lines: dict[str, int]) -> Loaded:
    assert isinstance(data, dict)
    return Loaded(aws=(AwsDocument(file=source.file, data=data, lines=lines),))


def _load_json_file(text: str, data: object, file: str) -> Loaded:
    doc, diags = load_aws_text(text, file)
    return Loaded(aws=(doc,) if doc is not None else (), diagnostics=tuple(diags))


#: aws.json, the twin's AWS account format (what ``ekstwin collect aws`` writes).
INPUT_FORMAT = InputFormat("aws.json", is_aws_document, _load, _load_json_file)


# ---------------------------------------------------------------------------
# validation


def _schema_text() -> str:
    return resources.files("ekstwin").joinpath("schemas/aws.schema.json").read_text("utf-8")


@cache
def _schema() -> dict[str, object]:
    schema = json.loads(_schema_text())
    assert isinstance(schema, dict)
    return schema


@cache
def _validator() -> Draft202012Validator:
    """Built on the first aws.json that is not plainly valid (importing jsonschema
    costs about 0.1 s), then kept."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_schema())


# Lists whose items are model objects: an invalid item is dropped on its own.
_COLLECTIONS: dict[str, str] = {
    "accounts": "account",
    "aws_managed_policies": "managed policy",
    "clusters": "cluster",
    "encryption_config": "encryption config",
    "access_entries": "access entry",
    "access_policies": "access policy association",
    "pod_identity_associations": "Pod Identity association",
    "addons": "addon",
    "node_groups": "node group",
    "vpcs": "VPC",
    "subnets": "subnet",
    "route_tables": "route table",
    "routes": "route",
    "internet_gateways": "internet gateway",
    "nat_gateways": "NAT gateway",
    "instances": "instance",
    "network_interfaces": "network interface",
    "roles": "role",
    "policies": "policy",
    "oidc_providers": "OIDC provider",
    "saml_providers": "SAML provider",
    "repositories": "repository",
    "images": "image",
    "hosted_zones": "hosted zone",
    "records": "record",
    "keys": "key",
    "load_balancers": "load balancer",
    "listeners": "listener",
    "rules": "listener rule",
    "security_groups": "security group",
    "prefix_lists": "prefix list",
    "network_acls": "network ACL",
    "vpc_peering_connections": "VPC peering connection",
    "vpc_endpoints": "VPC endpoint",
    "db_instances": "DB instance",
    "cache_clusters": "cache cluster",
    "mount_targets": "EFS mount target",
}
# Collections whose name means a list of objects only under one section (a load
# balancer's ``security_groups`` is a list of ids, not of groups).
_COLLECTION_SECTION: dict[str, str] = {"security_groups": "ec2"}
_SECTIONS = frozenset(
    {
        "organization",
        "eks",
        "ec2",
        "iam",
        "ecr",
        "route53",
        "kms",
        "elbv2",
        "rds",
        "elasticache",
        "efs",
    }
)


def _unit(path: Path) -> Path:
    """The smallest droppable object that contains ``path`` (``()`` is the document)."""
    unit: Path = ()
    for i, part in enumerate(path):
        if isinstance(part, int) and i > 0 and path[i - 1] in _COLLECTIONS:
            parent = path[i - 2] if i >= 2 else None
            section = _COLLECTION_SECTION.get(str(path[i - 1]))
            if section is not None and parent != section:
                continue
            # inside free-form maps or policy documents keys are not collections
            if not isinstance(parent, str) or parent not in {
                "inline_policies",
                "configuration",
                "tags",
                "labels",
                "env",
            }:
                unit = path[: i + 1]
        elif i == 2 and path[0] == "accounts" and part in _SECTIONS:
            unit = path[:3]
    return unit


def _unit_noun(unit: Path) -> str:
    if not unit:
        return "document"
    last = unit[-1]
    if isinstance(last, str):
        return f"{last} section"
    collection = unit[-2]
    return _COLLECTIONS.get(str(collection), "object")


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _show(value: object) -> str:
    """A value for a message, short, with what the reader refuses as a secret redacted."""
    text = json.dumps(without_secrets(value, "<redacted>"), ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(error: ValidationError) -> str:
    """What is wrong, in words, without the path."""
    validator = error.validator
    instance = error.instance
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if validator == "required":
        required = error.validator_value if isinstance(error.validator_value, list) else []
        missing = [r for r in required if isinstance(instance, dict) and r not in instance]
        names = ", ".join(f"'{m}'" for m in missing) or str(required)
        return f"missing required field {names}"
    if validator == "type":
        expected = error.validator_value
        wanted = " or ".join(expected) if isinstance(expected, list) else str(expected)
        return f"expected {wanted}, found {_json_type(instance)} {_show(instance)}"
    if validator == "enum":
        allowed = error.validator_value if isinstance(error.validator_value, list) else []
        options = ", ".join(str(o) for o in allowed)
        return f"{_show(instance)} is not one of: {options}"
    if validator == "const":
        return f"must be {_show(error.validator_value)}, found {_show(instance)}"
    if validator == "pattern":
        what = schema.get("description")
        if isinstance(what, str):
            return f"{_show(instance)} is not {what}"
        return f"{_show(instance)} does not match {error.validator_value}"
    if validator in ("oneOf", "anyOf") and error.context:
        types: list[str] = []
        for sub in error.context:
            value = sub.validator_value
            for name in value if isinstance(value, list) else [value]:
                if str(name) not in types:
                    types.append(str(name))
        what = schema.get("description")
        wanted = what if isinstance(what, str) else " or ".join(types)
        return f"expected {wanted}, found {_json_type(instance)} {_show(instance)}"
    return error.message


def _pick(error: ValidationError) -> ValidationError:
    """The most telling error under a oneOf/anyOf: the branch that got furthest."""
    while error.validator in ("oneOf", "anyOf") and error.context:
        deeper = [c for c in error.context if len(c.relative_path) > 0]
        if deeper:
            error = max(deeper, key=lambda c: len(c.relative_path))
            continue
        specific = [c for c in error.context if c.validator != "type"]
        if not specific:
            break
        error = specific[0]
    return error


def _hint(error: ValidationError, noun: str) -> str:
    if error.validator == "required":
        return f"add the missing field (see {DOCS}); this {noun} was not loaded"
    return f"fix the value (see {DOCS}); this {noun} was not loaded"


@dataclass(slots=True)
class _Validated:
    dropped: set[Path]
    ignored: set[Path]
    document_ok: bool


def _validate(
    doc: AwsDocument, validator: Draft202012Validator, diagnostics: list[Diagnostic]
) -> _Validated:
    dropped: set[Path] = set()
    ignored: set[Path] = set()
    for error in sorted(validator.iter_errors(doc.data), key=lambda e: list(map(str, e.path))):
        path: Path = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
            for extra in sorted(k for k in error.instance if k not in known):
                ignored.add((*path, extra))
                diagnostics.append(
                    Diagnostic(
                        _source(doc, (*path, extra)),
                        f"{json_path((*path, extra))}: unknown field '{extra}'",
                        f"check the spelling against {DOCS}; the field was ignored",
                        level=DiagnosticLevel.WARNING,
                        code="aws-schema",
                    )
                )
            continue
        unit = _unit(path)
        noun = _unit_noun(unit)
        error = _pick(error)
        path = tuple(error.absolute_path)
        if unit:
            dropped.add(unit)
        diagnostics.append(
            Diagnostic(
                _source(doc, path),
                f"{json_path(path)}: {_describe(error)}",
                _hint(error, noun),
                code="aws-schema",
            )
        )
    return _Validated(dropped, ignored, document_ok=() not in dropped and not _root_broken(doc))


def _root_broken(doc: AwsDocument) -> bool:
    return doc.data.get("format") != FORMAT or doc.data.get("version") not in SUPPORTED_VERSIONS


def _source(doc: AwsDocument, path: Path) -> Source:
    return Source(doc.file, line_of(doc.lines, pointer(path)))


# ---------------------------------------------------------------------------
# checks the schema cannot express: one peer per rule, protocols, port ranges,
# ICMP type/code, CIDRs, unique network ACL rule numbers

Problem = tuple[Path, str, str]  # (JSON path, what is wrong, what to do)

_PROTOCOL_WORDS = "tcp, udp, icmp, icmpv6, -1 (all) or an IANA protocol number 0..255"
_PEERS = ("cidr", "prefix_list_id", "group_id")


def _check_cidr(value: object, path: Path) -> list[Problem]:
    if not isinstance(value, str):
        return []
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return [
            (
                path,
                f"{_show(value)} is not a valid CIDR block",
                "write a CIDR such as 198.18.0.0/16",
            )
        ]
    return []


def _check_protocol(data: Mapping[str, object], path: Path) -> tuple[str | None, list[Problem]]:
    value = data.get("protocol")
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None, []
    number = protocol_number(value)
    if number is None:
        return None, [
            ((*path, "protocol"), f"{_show(value)} is not a protocol", f"use {_PROTOCOL_WORDS}")
        ]
    return number, []


def _check_ports(data: Mapping[str, object], protocol: str | None, path: Path) -> list[Problem]:
    """``from_port``/``to_port`` for TCP and UDP, ``icmp_type``/``icmp_code`` for ICMP."""
    problems: list[Problem] = []
    low, high = data.get("from_port"), data.get("to_port")
    icmp_type, icmp_code = data.get("icmp_type"), data.get("icmp_code")
    has_ports = low is not None or high is not None
    has_icmp = icmp_type is not None or icmp_code is not None
    if protocol is None:
        return problems
    if has_ports and protocol not in (TCP, UDP):
        problems.append(
            (
                (*path, "from_port" if low is not None else "to_port"),
                f"ports apply to tcp (6) and udp (17) only, not to protocol {protocol}",
                "remove from_port/to_port (for ICMP write icmp_type/icmp_code)",
            )
        )
    elif has_ports and (low is None or high is None):
        missing = "to_port" if high is None else "from_port"
        problems.append(
            (
                (*path, missing),
                f"'{missing}' is missing: a port range needs both ends",
                "give both from_port and to_port (the same value for one port), or neither "
                "for every port",
            )
        )
    elif isinstance(low, int) and isinstance(high, int) and low > high:
        problems.append(
            (
                (*path, "from_port"),
                f"the port range {low}-{high} is empty (from_port is above to_port)",
                "swap the two ends",
            )
        )
    if has_icmp and protocol not in (ICMP, ICMPV6):
        problems.append(
            (
                (*path, "icmp_type" if icmp_type is not None else "icmp_code"),
                f"icmp_type/icmp_code apply to icmp (1) and icmpv6 (58) only, not to protocol "
                f"{protocol}",
                "remove icmp_type/icmp_code (for TCP and UDP write from_port/to_port)",
            )
        )
    elif isinstance(icmp_code, int) and icmp_code != -1 and (icmp_type is None or icmp_type == -1):
        problems.append(
            (
                (*path, "icmp_code"),
                f"ICMP code {icmp_code} without an ICMP type",
                "give the icmp_type the code belongs to, or drop icmp_code (any code)",
            )
        )
    return problems


def _rule_problems(rule: Mapping[str, object], path: Path) -> list[Problem]:
    peers = [key for key in _PEERS if rule.get(key) is not None]
    problems: list[Problem] = []
    if len(peers) != 1:
        found = "none" if not peers else f"{len(peers)} ({', '.join(peers)})"
        problems.append(
            (
                path,
                f"a rule needs exactly one peer (cidr, prefix_list_id or group_id), found {found}",
                "write one rule per peer",
            )
        )
    for key in ("referenced_vpc_id", "referenced_account_id"):
        if rule.get(key) is not None and rule.get("group_id") is None:
            problems.append(
                (
                    (*path, key),
                    f"'{key}' names where a referenced group lives, but the rule has no group_id",
                    "add the group_id, or remove the field",
                )
            )
    protocol, bad = _check_protocol(rule, path)
    problems += bad
    problems += _check_ports(rule, protocol, path)
    problems += _check_cidr(rule.get("cidr"), (*path, "cidr"))
    return problems


def _group_problems(group: Mapping[str, object], path: Path) -> list[Problem]:
    problems: list[Problem] = []
    for direction in ("ingress", "egress"):
        rules = group.get(direction)
        for i, rule in enumerate(rules if isinstance(rules, list) else []):
            if isinstance(rule, dict):
                problems += _rule_problems(rule, (*path, direction, i))
    return problems


def _acl_problems(acl: Mapping[str, object], path: Path) -> list[Problem]:
    problems: list[Problem] = []
    entries = acl.get("entries")
    seen: dict[tuple[object, object], int] = {}
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict):
            continue
        entry_path = (*path, "entries", i)
        protocol, bad = _check_protocol(entry, entry_path)
        problems += bad
        problems += _check_ports(entry, protocol, entry_path)
        problems += _check_cidr(entry.get("cidr"), (*entry_path, "cidr"))
        key = (entry.get("rule_number"), entry.get("egress"))
        if key in seen:
            direction = "egress" if entry.get("egress") else "ingress"
            problems.append(
                (
                    (*entry_path, "rule_number"),
                    f"rule number {key[0]} is used twice for {direction} "
                    f"(also entries[{seen[key]}])",
                    "give each entry of a direction its own rule number",
                )
            )
        else:
            seen[key] = i
    return problems


def _cidrs_problems(data: Mapping[str, object], key: str, path: Path) -> list[Problem]:
    values = data.get(key)
    problems: list[Problem] = []
    for i, value in enumerate(values if isinstance(values, list) else []):
        problems += _check_cidr(value, (*path, key, i))
    return problems


def _prefix_list_problems(data: Mapping[str, object], path: Path) -> list[Problem]:
    return _cidrs_problems(data, "entries", path)


def _peering_problems(data: Mapping[str, object], path: Path) -> list[Problem]:
    return _cidrs_problems(data, "requester_cidrs", path) + _cidrs_problems(
        data, "accepter_cidrs", path
    )


_EC2_CHECKS: tuple[tuple[str, Callable[[Mapping[str, object], Path], list[Problem]]], ...] = (
    ("security_groups", _group_problems),
    ("network_acls", _acl_problems),
    ("prefix_lists", _prefix_list_problems),
    ("vpc_peering_connections", _peering_problems),
)


def _check_network(doc: AwsDocument, validated: _Validated, diagnostics: list[Diagnostic]) -> None:
    """The checks of the network objects the schema cannot make; each problem
    leaves out its unit (the whole group or ACL: a rule or entry left out alone
    would change what the rest allows or denies)."""
    accounts = doc.data.get("accounts")
    for a, account in enumerate(accounts if isinstance(accounts, list) else []):
        ec2 = account.get("ec2") if isinstance(account, dict) else None
        if not isinstance(ec2, dict):
            continue
        for key, check in _EC2_CHECKS:
            items = ec2.get(key)
            for i, item in enumerate(items if isinstance(items, list) else []):
                unit: Path = ("accounts", a, "ec2", key, i)
                if not isinstance(item, dict) or any(
                    unit[:n] in validated.dropped for n in range(len(unit) + 1)
                ):
                    continue
                for path, what, todo in check(item, unit):
                    validated.dropped.add(unit)
                    diagnostics.append(
                        Diagnostic(
                            _source(doc, path),
                            f"{json_path(path)}: {what}",
                            f"{todo} (see {DOCS}); this {_unit_noun(unit)} was not loaded",
                            code="aws-schema",
                        )
                    )


# ---------------------------------------------------------------------------
# secrets: aws.json holds none by design; never copy one into the model

_SECRET_KEY = re.compile(
    r"secret|passw(?:or)?d|private[_-]?key|access[_-]?key|session[_-]?token|api[_-]?key"
    r"|auth[_-]?token|credential|bearer",
    re.IGNORECASE,
)
_SECRET_VALUE = (
    (re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"), "an AWS access key id"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"), "a GitHub token"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "a Slack token"),
)


def _secret_reason(key: str | None, value: object) -> str | None:
    if key is not None and _SECRET_KEY.search(key) and isinstance(value, str) and value:
        return f"its name '{key}' says it holds a secret"
    if isinstance(value, str):
        for pattern, what in _SECRET_VALUE:
            if pattern.search(value):
                return f"its value looks like {what}"
    return None


def without_secrets(data: object, replacement: str, depth: int = 0) -> object:
    """An aws.json value with every value the reader refuses as a secret (by its key
    or its look, the test of :func:`_secret_reason`) replaced, at any depth: what a
    snapshot stores of the document. No key of the aws.json format looks secret, so
    only free-form parts (tags, env, add-on configuration) and values change; the
    same object when nothing does."""
    if depth > 100:
        return data
    if isinstance(data, dict):
        changed: dict[str, object] = {}
        for key, value in data.items():
            if value != replacement and _secret_reason(str(key), value) is not None:
                changed[key] = replacement
            else:
                new = without_secrets(value, replacement, depth + 1)
                if new is not value:
                    changed[key] = new
        return {**data, **changed} if changed else data
    if isinstance(data, list):
        items = [without_secrets(v, replacement, depth + 1) for v in data]
        return items if any(a is not b for a, b in zip(items, data, strict=True)) else data
    if isinstance(data, str) and data != replacement and _secret_reason(None, data) is not None:
        return replacement
    return data


# ---------------------------------------------------------------------------
# reading one document


class _Reader:
    """Reads one validated document into model objects, skipping dropped parts."""

    def __init__(
        self, doc: AwsDocument, validated: _Validated, diagnostics: list[Diagnostic]
    ) -> None:
        self.doc = doc
        self.dropped = validated.dropped
        self.ignored = validated.ignored
        self.diagnostics = diagnostics

    # -- plumbing

    def src(self, path: Path) -> Source:
        return _source(self.doc, path)

    def section(self, data: Mapping[str, object], key: str, path: Path) -> dict[str, object]:
        value = data.get(key)
        if (*path, key) in self.dropped or not isinstance(value, dict):
            return {}
        return value

    def items(
        self, data: Mapping[str, object], key: str, path: Path
    ) -> Iterator[tuple[dict[str, object], Path]]:
        value = data.get(key)
        if not isinstance(value, list) or (*path, key) in self.dropped:
            return
        for index, item in enumerate(value):
            item_path = (*path, key, index)
            if item_path in self.dropped or not isinstance(item, dict):
                continue
            yield item, item_path

    def objects(
        self,
        data: Mapping[str, object],
        key: str,
        path: Path,
        build: Callable[[dict[str, object], Path], _T],
    ) -> tuple[_T, ...]:
        return tuple(build(item, item_path) for item, item_path in self.items(data, key, path))

    def free_map(self, data: Mapping[str, object], key: str, path: Path) -> dict[str, str]:
        """A string map (tags, labels, env) without anything that looks like a secret."""
        value = data.get(key)
        if not isinstance(value, dict):
            return {}
        out: dict[str, str] = {}
        for name, item in value.items():
            if not isinstance(item, str):
                continue
            if self.secret(name, item, (*path, key, name)):
                continue
            out[name] = item
        return out

    def free_object(self, value: object, path: Path) -> Any:
        """A free-form JSON value (addon configuration) with secret-looking entries removed."""
        if isinstance(value, dict):
            out: dict[str, object] = {}
            for name, item in value.items():
                if self.secret(name, item, (*path, name)):
                    continue
                out[name] = self.free_object(item, (*path, name))
            return out
        if isinstance(value, list):
            return [self.free_object(item, (*path, i)) for i, item in enumerate(value)]
        return value

    def secret(self, key: str | None, value: object, path: Path) -> bool:
        reason = _secret_reason(key, value)
        if reason is None:
            return False
        self.diagnostics.append(
            Diagnostic(
                self.src(path),
                f"{json_path(path)}: {reason}; its value was not loaded",
                "aws.json must hold no secrets: remove the value from the file and rotate "
                "it if it is real",
                level=DiagnosticLevel.WARNING,
                code="aws-secret",
            )
        )
        return True

    def optional_text(self, data: Mapping[str, object], key: str, path: Path) -> str | None:
        value = data.get(key)
        if not isinstance(value, str) or self.secret(None, value, (*path, key)):
            return None
        return value

    def text(self, data: Mapping[str, object], key: str, path: Path, default: str = "") -> str:
        value = data.get(key)
        if not isinstance(value, str):
            return default
        if self.secret(None, value, (*path, key)):
            return default
        return value

    # -- documents

    def managed_policy(self, data: dict[str, object], path: Path) -> ManagedPolicy:
        return ManagedPolicy(
            arn=_str(data, "arn"),
            name=_str(data, "name"),
            document=_doc(data.get("document")),
            path=_str(data, "path", "/"),
            source=self.src(path),
        )

    def account(self, data: dict[str, object], path: Path) -> Account:
        eks = self.section(data, "eks", path)
        ec2 = self.section(data, "ec2", path)
        iam = self.section(data, "iam", path)
        ecr = self.section(data, "ecr", path)
        route53 = self.section(data, "route53", path)
        kms = self.section(data, "kms", path)
        elbv2 = self.section(data, "elbv2", path)
        rds = self.section(data, "rds", path)
        elasticache = self.section(data, "elasticache", path)
        efs = self.section(data, "efs", path)
        org = self.section(data, "organization", path)
        ec2_path = (*path, "ec2")
        return Account(
            id=_str(data, "id"),
            alias=_opt_str(data, "alias"),
            partition=_str(data, "partition", "aws"),
            organization=self.organization(org, (*path, "organization")) if org else None,
            eks_clusters=self.objects(eks, "clusters", (*path, "eks"), self.cluster),
            vpcs=self.objects(ec2, "vpcs", (*path, "ec2"), self.vpc),
            subnets=self.objects(ec2, "subnets", (*path, "ec2"), self.subnet),
            route_tables=self.objects(ec2, "route_tables", (*path, "ec2"), self.route_table),
            internet_gateways=self.objects(
                ec2, "internet_gateways", (*path, "ec2"), self.internet_gateway
            ),
            nat_gateways=self.objects(ec2, "nat_gateways", (*path, "ec2"), self.nat_gateway),
            instances=self.objects(ec2, "instances", (*path, "ec2"), self.instance),
            roles=self.objects(iam, "roles", (*path, "iam"), self.role),
            policies=self.objects(iam, "policies", (*path, "iam"), self.managed_policy),
            oidc_providers=self.objects(iam, "oidc_providers", (*path, "iam"), self.oidc_provider),
            saml_providers=self.objects(iam, "saml_providers", (*path, "iam"), self.saml_provider),
            ecr_repositories=self.objects(ecr, "repositories", (*path, "ecr"), self.repository),
            hosted_zones=self.objects(route53, "hosted_zones", (*path, "route53"), self.zone),
            kms_keys=self.objects(kms, "keys", (*path, "kms"), self.kms_key),
            load_balancers=self.objects(
                elbv2, "load_balancers", (*path, "elbv2"), self.load_balancer
            ),
            security_groups=self.objects(ec2, "security_groups", ec2_path, self.security_group),
            prefix_lists=self.objects(ec2, "prefix_lists", ec2_path, self.prefix_list),
            network_acls=self.objects(ec2, "network_acls", ec2_path, self.network_acl),
            unreadable_network_acls=self.unreadable_acls(ec2, ec2_path),
            vpc_peering_connections=self.objects(
                ec2, "vpc_peering_connections", ec2_path, self.peering
            ),
            network_interfaces=self.objects(
                ec2, "network_interfaces", ec2_path, self.network_interface
            ),
            vpc_endpoints=self.objects(ec2, "vpc_endpoints", ec2_path, self.vpc_endpoint),
            db_instances=self.objects(rds, "db_instances", (*path, "rds"), self.db_instance),
            cache_clusters=self.objects(
                elasticache, "cache_clusters", (*path, "elasticache"), self.cache_cluster
            ),
            efs_mount_targets=self.objects(
                efs, "mount_targets", (*path, "efs"), self.efs_mount_target
            ),
            source=self.src(path),
        )

    def organization(self, data: dict[str, object], path: Path) -> Organization:
        return Organization(
            ou_path=_strs(data, "ou_path"),
            scps=_levels(data.get("scps")),
            rcps=_levels(data.get("rcps")),
            source=self.src(path),
        )

    # -- EKS

    def cluster(self, data: dict[str, object], path: Path) -> EksCluster:
        endpoint = _dict(data.get("endpoint"))
        logging = _dict(data.get("logging"))
        vpc_cni = _dict(data.get("vpc_cni"))
        env = self.free_map(vpc_cni, "env", (*path, "vpc_cni"))
        cni_path = (*path, "vpc_cni") if "vpc_cni" in data else path
        return EksCluster(
            name=_str(data, "name"),
            region=_str(data, "region"),
            arn=_str(data, "arn"),
            version=_str(data, "version"),
            role_arn=_opt_str(data, "role_arn"),
            vpc_id=_opt_str(data, "vpc_id"),
            subnet_ids=_strs(data, "subnet_ids"),
            cluster_security_group_id=_opt_str(data, "cluster_security_group_id"),
            security_group_ids=_strs(data, "security_group_ids"),
            endpoint=EndpointAccess(
                public_access=_bool(endpoint, "public_access", True),
                private_access=_bool(endpoint, "private_access", False),
                public_access_cidrs=_strs(endpoint, "public_access_cidrs", ("0.0.0.0/0",)),
            ),
            encryption_config=self.objects(data, "encryption_config", path, self.encryption_config),
            oidc_issuer=_opt_str(data, "oidc_issuer"),
            authentication_mode=AuthenticationMode(
                _str(data, "authentication_mode", AuthenticationMode.CONFIG_MAP.value)
            ),
            bootstrap_cluster_creator_admin_permissions=_bool(
                data, "bootstrap_cluster_creator_admin_permissions", True
            ),
            creator_arn=_opt_str(data, "creator_arn"),
            logging_enabled_types=_strs(logging, "enabled_types"),
            service_ipv4_cidr=_opt_str(data, "service_ipv4_cidr"),
            ip_family=_str(data, "ip_family", "ipv4"),
            platform_version=_opt_str(data, "platform_version"),
            access_entries=self.objects(data, "access_entries", path, self.access_entry),
            pod_identity_associations=self.objects(
                data, "pod_identity_associations", path, self.pod_identity
            ),
            identity_provider_configs=self.objects(
                data, "identity_provider_configs", path, self.identity_provider_config
            ),
            addons=self.objects(data, "addons", path, self.addon),
            vpc_cni=VpcCniSettings.from_env(env, self.src(cni_path)),
            node_groups=self.objects(data, "node_groups", path, self.node_group),
            tags=self.free_map(data, "tags", path),
            source=self.src(path),
        )

    def encryption_config(self, data: dict[str, object], path: Path) -> EncryptionConfig:
        return EncryptionConfig(
            resources=_strs(data, "resources"), key_arn=_str(data, "key_arn"), source=self.src(path)
        )

    def access_entry(self, data: dict[str, object], path: Path) -> AccessEntry:
        return AccessEntry(
            principal_arn=_str(data, "principal_arn"),
            type=AccessEntryType(_str(data, "type", AccessEntryType.STANDARD.value)),
            username=_opt_str(data, "username"),
            kubernetes_groups=_strs(data, "kubernetes_groups"),
            access_policies=self.objects(data, "access_policies", path, self.access_policy),
            source=self.src(path),
        )

    def access_policy(self, data: dict[str, object], path: Path) -> AccessPolicyAssociation:
        scope = _dict(data.get("access_scope"))
        return AccessPolicyAssociation(
            policy_arn=_str(data, "policy_arn"),
            access_scope=AccessScope(
                type=AccessScopeType(_str(scope, "type", AccessScopeType.CLUSTER.value)),
                namespaces=_strs(scope, "namespaces"),
            ),
            source=self.src(path),
        )

    def pod_identity(self, data: dict[str, object], path: Path) -> PodIdentityAssociation:
        return PodIdentityAssociation(
            namespace=_str(data, "namespace"),
            service_account=_str(data, "service_account"),
            role_arn=_str(data, "role_arn"),
            association_id=_opt_str(data, "association_id"),
            target_role_arn=_opt_str(data, "target_role_arn"),
            external_id=_opt_str(data, "external_id"),
            disable_session_tags=_bool(data, "disable_session_tags", False),
            source=self.src(path),
        )

    def identity_provider_config(
        self, data: dict[str, object], path: Path
    ) -> OidcIdentityProviderConfig:
        return OidcIdentityProviderConfig(
            name=_str(data, "name"),
            issuer_url=_str(data, "issuer_url"),
            client_id=_str(data, "client_id"),
            username_claim=_str(data, "username_claim", "sub"),
            username_prefix=_opt_str(data, "username_prefix"),
            groups_claim=_opt_str(data, "groups_claim"),
            groups_prefix=_opt_str(data, "groups_prefix") or "",
            required_claims=tuple(sorted(self.free_map(data, "required_claims", path).items())),
            status=_str(data, "status", "ACTIVE"),
            source=self.src(path),
        )

    def addon(self, data: dict[str, object], path: Path) -> Addon:
        configuration = self.free_object(_dict(data.get("configuration")), (*path, "configuration"))
        return Addon(
            name=_str(data, "name"),
            version=_opt_str(data, "version"),
            service_account_role_arn=_opt_str(data, "service_account_role_arn"),
            configuration=cast(dict[str, object], configuration),
            source=self.src(path),
        )

    def node_group(self, data: dict[str, object], path: Path) -> NodeGroup:
        scaling = _dict(data.get("scaling"))
        taints = data.get("taints")
        return NodeGroup(
            name=_str(data, "name"),
            instance_types=_strs(data, "instance_types"),
            subnet_ids=_strs(data, "subnet_ids"),
            node_role_arn=_opt_str(data, "node_role_arn"),
            ami_type=_opt_str(data, "ami_type"),
            capacity_type=_opt_str(data, "capacity_type"),
            scaling=NodeGroupScaling(
                min=_int(scaling, "min", 1),
                max=_int(scaling, "max", 1),
                desired=_int(scaling, "desired", 1),
            ),
            kubelet_max_pods=_opt_int(data, "kubelet_max_pods"),
            security_group_ids=_strs(data, "security_group_ids"),
            labels=self.free_map(data, "labels", path),
            taints=tuple(
                {str(k): str(v) for k, v in t.items()}
                for t in (taints if isinstance(taints, list) else [])
                if isinstance(t, dict)
            ),
            source=self.src(path),
        )

    # -- EC2

    def vpc(self, data: dict[str, object], path: Path) -> Vpc:
        return Vpc(
            vpc_id=_str(data, "vpc_id"),
            region=_opt_str(data, "region"),
            cidr_blocks=_strs(data, "cidr_blocks"),
            tags=self.free_map(data, "tags", path),
            source=self.src(path),
        )

    def subnet(self, data: dict[str, object], path: Path) -> Subnet:
        return Subnet(
            subnet_id=_str(data, "subnet_id"),
            vpc_id=_str(data, "vpc_id"),
            cidr=_str(data, "cidr"),
            availability_zone=_str(data, "availability_zone"),
            availability_zone_id=_opt_str(data, "availability_zone_id"),
            available_ip_addresses=_opt_int(data, "available_ip_addresses"),
            map_public_ip_on_launch=_bool(data, "map_public_ip_on_launch", False),
            tags=self.free_map(data, "tags", path),
            source=self.src(path),
        )

    def route_table(self, data: dict[str, object], path: Path) -> RouteTable:
        return RouteTable(
            route_table_id=_str(data, "route_table_id"),
            vpc_id=_str(data, "vpc_id"),
            main=_bool(data, "main", False),
            subnet_ids=_strs(data, "subnet_ids"),
            routes=self.objects(data, "routes", path, self.route),
            source=self.src(path),
        )

    def route(self, data: dict[str, object], path: Path) -> Route:
        return Route(
            destination=_str(data, "destination"),
            gateway_id=_opt_str(data, "gateway_id"),
            state=_str(data, "state", "active"),
            source=self.src(path),
        )

    def internet_gateway(self, data: dict[str, object], path: Path) -> InternetGateway:
        return InternetGateway(
            internet_gateway_id=_str(data, "internet_gateway_id"),
            vpc_id=_opt_str(data, "vpc_id"),
            source=self.src(path),
        )

    def nat_gateway(self, data: dict[str, object], path: Path) -> NatGateway:
        return NatGateway(
            nat_gateway_id=_str(data, "nat_gateway_id"),
            subnet_id=_str(data, "subnet_id"),
            public_ip=_opt_str(data, "public_ip"),
            private_ip=_opt_str(data, "private_ip"),
            connectivity_type=_str(data, "connectivity_type", "public"),
            source=self.src(path),
        )

    def instance(self, data: dict[str, object], path: Path) -> Instance:
        imds = _dict(data.get("metadata_options"))
        return Instance(
            instance_id=_str(data, "instance_id"),
            instance_type=_str(data, "instance_type"),
            subnet_id=_str(data, "subnet_id"),
            availability_zone=_opt_str(data, "availability_zone"),
            private_ip=_opt_str(data, "private_ip"),
            private_dns_name=_opt_str(data, "private_dns_name"),
            public_ip=_opt_str(data, "public_ip"),
            state=_str(data, "state", "running"),
            node_name=_opt_str(data, "node_name"),
            node_group=_opt_str(data, "node_group"),
            cluster=_opt_str(data, "cluster"),
            instance_profile_role_arn=_opt_str(data, "instance_profile_role_arn"),
            security_group_ids=_strs(data, "security_group_ids"),
            metadata_options=MetadataOptions(
                http_tokens=HttpTokens(_str(imds, "http_tokens", HttpTokens.OPTIONAL.value)),
                http_put_response_hop_limit=_int(imds, "http_put_response_hop_limit", 1),
                http_endpoint=HttpEndpoint(_str(imds, "http_endpoint", HttpEndpoint.ENABLED.value)),
            ),
            network_interfaces=self.objects(
                data, "network_interfaces", path, self.network_interface
            ),
            tags=self.free_map(data, "tags", path),
            source=self.src(path),
        )

    def network_interface(self, data: dict[str, object], path: Path) -> NetworkInterface:
        return NetworkInterface(
            eni_id=_str(data, "eni_id"),
            subnet_id=_opt_str(data, "subnet_id"),
            device_index=_int(data, "device_index", 0),
            network_card_index=_int(data, "network_card_index", 0),
            primary_ip=_opt_str(data, "primary_ip"),
            secondary_ips=_strs(data, "secondary_ips"),
            prefixes=_strs(data, "prefixes"),
            interface_type=_str(data, "interface_type", "interface"),
            security_group_ids=_strs(data, "security_group_ids"),
            vpc_id=_opt_str(data, "vpc_id"),
            description=_opt_str(data, "description"),
            requester_managed=_bool(data, "requester_managed", False),
            attached_instance_id=_opt_str(data, "attached_instance_id"),
            source=self.src(path),
        )

    # -- the VPC network: security groups, prefix lists, network ACLs, peering

    def security_group(self, data: dict[str, object], path: Path) -> SecurityGroup:
        return SecurityGroup(
            group_id=_str(data, "group_id"),
            vpc_id=_opt_str(data, "vpc_id"),
            name=_opt_str(data, "name"),
            description=_opt_str(data, "description"),
            owner_id=_opt_str(data, "owner_id"),
            ingress=self.objects(data, "ingress", path, self.security_group_rule),
            egress=self.objects(data, "egress", path, self.security_group_rule),
            tags=self.free_map(data, "tags", path),
            source=self.src(path),
        )

    def security_group_rule(self, data: dict[str, object], path: Path) -> SecurityGroupRule:
        protocol = protocol_number(_protocol(data)) or ALL_PROTOCOLS
        if protocol in (ICMP, ICMPV6):
            low, high = _icmp(data, "icmp_type"), _icmp(data, "icmp_code")
        else:
            low, high = _opt_int(data, "from_port"), _opt_int(data, "to_port")
        return SecurityGroupRule(
            protocol=protocol,
            from_port=low,
            to_port=high,
            cidr=_opt_str(data, "cidr"),
            prefix_list_id=_opt_str(data, "prefix_list_id"),
            group_id=_opt_str(data, "group_id"),
            referenced_vpc_id=_opt_str(data, "referenced_vpc_id"),
            referenced_account_id=_opt_str(data, "referenced_account_id"),
            description=self.optional_text(data, "description", path),
            rule_id=_opt_str(data, "rule_id"),
            source=self.src(path),
        )

    def prefix_list(self, data: dict[str, object], path: Path) -> ManagedPrefixList:
        return ManagedPrefixList(
            prefix_list_id=_str(data, "prefix_list_id"),
            name=_opt_str(data, "name"),
            address_family=_str(data, "address_family", "IPv4"),
            entries=_strs(data, "entries"),
            owner_id=_opt_str(data, "owner_id"),
            max_entries=_opt_int(data, "max_entries"),
            source=self.src(path),
        )

    def network_acl(self, data: dict[str, object], path: Path) -> NetworkAcl:
        return NetworkAcl(
            network_acl_id=_str(data, "network_acl_id"),
            vpc_id=_str(data, "vpc_id"),
            is_default=_bool(data, "is_default", False),
            entries=self.objects(data, "entries", path, self.network_acl_entry),
            subnet_ids=_strs(data, "subnet_ids"),
            tags=self.free_map(data, "tags", path),
            source=self.src(path),
        )

    def unreadable_acls(self, ec2: Mapping[str, object], path: Path) -> tuple[NetworkAcl, ...]:
        """What is known of the network ACLs left out for an error: which subnets
        they serve (so those subnets' ACL is unknown, not their VPC's default)."""
        value = ec2.get("network_acls")
        out: list[NetworkAcl] = []
        for index, item in enumerate(value if isinstance(value, list) else []):
            item_path = (*path, "network_acls", index)
            if item_path not in self.dropped or not isinstance(item, dict):
                continue
            acl_id, vpc_id = item.get("network_acl_id"), item.get("vpc_id")
            subnets = item.get("subnet_ids")
            out.append(
                NetworkAcl(
                    network_acl_id=acl_id
                    if isinstance(acl_id, str)
                    else f"<{json_path(item_path)}>",
                    vpc_id=vpc_id if isinstance(vpc_id, str) else "",
                    is_default=item.get("is_default") is True,
                    subnet_ids=tuple(
                        s
                        for s in (subnets if isinstance(subnets, list) else [])
                        if isinstance(s, str)
                    ),
                    source=self.src(item_path),
                )
            )
        return tuple(out)

    def network_acl_entry(self, data: dict[str, object], path: Path) -> NetworkAclEntry:
        return NetworkAclEntry(
            rule_number=_int(data, "rule_number", 0),
            egress=_bool(data, "egress", False),
            action=NaclAction(_str(data, "action", NaclAction.DENY.value)),
            protocol=protocol_number(_protocol(data)) or ALL_PROTOCOLS,
            cidr=_str(data, "cidr"),
            from_port=_opt_int(data, "from_port"),
            to_port=_opt_int(data, "to_port"),
            icmp_type=_icmp(data, "icmp_type"),
            icmp_code=_icmp(data, "icmp_code"),
            source=self.src(path),
        )

    def peering(self, data: dict[str, object], path: Path) -> VpcPeeringConnection:
        return VpcPeeringConnection(
            peering_connection_id=_str(data, "peering_connection_id"),
            requester_vpc_id=_str(data, "requester_vpc_id"),
            accepter_vpc_id=_str(data, "accepter_vpc_id"),
            requester_account_id=_opt_str(data, "requester_account_id"),
            accepter_account_id=_opt_str(data, "accepter_account_id"),
            requester_cidrs=_strs(data, "requester_cidrs"),
            accepter_cidrs=_strs(data, "accepter_cidrs"),
            status=_str(data, "status", "active"),
            source=self.src(path),
        )

    # -- AWS services in the VPC

    def service_interface(self, data: dict[str, object], path: Path) -> ServiceInterface:
        return ServiceInterface(
            subnet_id=_opt_str(data, "subnet_id"),
            address=_opt_str(data, "address"),
            eni_id=_opt_str(data, "eni_id"),
        )

    def db_instance(self, data: dict[str, object], path: Path) -> DatabaseInstance:
        return DatabaseInstance(
            db_instance_id=_str(data, "db_instance_id"),
            engine=_str(data, "engine"),
            port=_int(data, "port", 0),
            vpc_id=_opt_str(data, "vpc_id"),
            db_cluster_id=_opt_str(data, "db_cluster_id"),
            subnet_ids=_strs(data, "subnet_ids"),
            security_group_ids=_strs(data, "security_group_ids"),
            interfaces=self.objects(data, "interfaces", path, self.service_interface),
            endpoint_address=_opt_str(data, "endpoint_address"),
            publicly_accessible=_bool(data, "publicly_accessible", False),
            source=self.src(path),
        )

    def cache_cluster(self, data: dict[str, object], path: Path) -> CacheCluster:
        return CacheCluster(
            cache_cluster_id=_str(data, "cache_cluster_id"),
            engine=_str(data, "engine"),
            port=_int(data, "port", 0),
            vpc_id=_opt_str(data, "vpc_id"),
            subnet_ids=_strs(data, "subnet_ids"),
            security_group_ids=_strs(data, "security_group_ids"),
            interfaces=self.objects(data, "interfaces", path, self.service_interface),
            source=self.src(path),
        )

    def efs_mount_target(self, data: dict[str, object], path: Path) -> EfsMountTarget:
        return EfsMountTarget(
            mount_target_id=_str(data, "mount_target_id"),
            file_system_id=_str(data, "file_system_id"),
            subnet_id=_str(data, "subnet_id"),
            address=_opt_str(data, "address"),
            eni_id=_opt_str(data, "eni_id"),
            security_group_ids=_strs(data, "security_group_ids"),
            source=self.src(path),
        )

    def vpc_endpoint(self, data: dict[str, object], path: Path) -> VpcEndpoint:
        policy = data.get("policy")
        return VpcEndpoint(
            vpc_endpoint_id=_str(data, "vpc_endpoint_id"),
            vpc_id=_str(data, "vpc_id"),
            service_name=_str(data, "service_name"),
            endpoint_type=VpcEndpointType(
                _str(data, "endpoint_type", VpcEndpointType.INTERFACE.value)
            ),
            subnet_ids=_strs(data, "subnet_ids"),
            security_group_ids=_strs(data, "security_group_ids"),
            route_table_ids=_strs(data, "route_table_ids"),
            interfaces=self.objects(data, "interfaces", path, self.service_interface),
            private_dns_enabled=_bool(data, "private_dns_enabled", False),
            policy=_doc(policy) if isinstance(policy, dict) else None,
            state=_str(data, "state", "available"),
            source=self.src(path),
        )

    # -- IAM

    def role(self, data: dict[str, object], path: Path) -> IamRole:
        inline = _dict(data.get("inline_policies"))
        return IamRole(
            name=_str(data, "name"),
            arn=_str(data, "arn"),
            path=_str(data, "path", "/"),
            trust_policy=_doc(data.get("trust_policy")),
            inline_policies={name: _doc(doc) for name, doc in inline.items()},
            attached_policy_arns=_strs(data, "attached_policy_arns"),
            permissions_boundary_arn=_opt_str(data, "permissions_boundary_arn"),
            max_session_duration=_int(data, "max_session_duration", 3600),
            tags=self.free_map(data, "tags", path),
            source=self.src(path),
        )

    def oidc_provider(self, data: dict[str, object], path: Path) -> OidcProvider:
        return OidcProvider(
            arn=_str(data, "arn"),
            url=_str(data, "url"),
            client_ids=_strs(data, "client_ids"),
            thumbprints=_strs(data, "thumbprints"),
            source=self.src(path),
        )

    def saml_provider(self, data: dict[str, object], path: Path) -> SamlProvider:
        return SamlProvider(arn=_str(data, "arn"), name=_str(data, "name"), source=self.src(path))

    # -- ECR, Route53, KMS, ELBv2

    def repository(self, data: dict[str, object], path: Path) -> EcrRepository:
        encryption = _dict(data.get("encryption"))
        policy = data.get("policy")
        return EcrRepository(
            name=_str(data, "name"),
            arn=_str(data, "arn"),
            uri=_opt_str(data, "uri"),
            region=_opt_str(data, "region"),
            tag_mutability=TagMutability(_str(data, "tag_mutability", TagMutability.MUTABLE.value)),
            tag_mutability_exclusion_filters=_strs(data, "tag_mutability_exclusion_filters"),
            scan_on_push=_bool(data, "scan_on_push", False),
            encryption=EcrEncryption(
                type=EcrEncryptionType(_str(encryption, "type", EcrEncryptionType.AES256.value)),
                kms_key=_opt_str(encryption, "kms_key"),
            ),
            policy=_doc(policy) if isinstance(policy, dict) else None,
            images=self.objects(data, "images", path, self.image),
            source=self.src(path),
        )

    def image(self, data: dict[str, object], path: Path) -> EcrImage:
        return EcrImage(
            digest=_str(data, "digest"),
            tags=_strs(data, "tags"),
            pushed_at=_opt_str(data, "pushed_at"),
            source=self.src(path),
        )

    def zone(self, data: dict[str, object], path: Path) -> HostedZone:
        return HostedZone(
            id=_str(data, "id"),
            name=_str(data, "name"),
            private=_bool(data, "private", False),
            vpc_ids=_strs(data, "vpc_ids"),
            records=self.objects(data, "records", path, self.record),
            source=self.src(path),
        )

    def record(self, data: dict[str, object], path: Path) -> DnsRecord:
        alias = data.get("alias_target")
        return DnsRecord(
            name=_str(data, "name"),
            type=_str(data, "type"),
            ttl=_opt_int(data, "ttl"),
            values=_strs(data, "values"),
            set_identifier=_opt_str(data, "set_identifier"),
            alias_target=AliasTarget(
                dns_name=_str(alias, "dns_name"),
                hosted_zone_id=_str(alias, "hosted_zone_id"),
                evaluate_target_health=_bool(alias, "evaluate_target_health", False),
            )
            if isinstance(alias, dict)
            else None,
            source=self.src(path),
            weight=_opt_int(data, "weight"),
            region=_opt_str(data, "region"),
            failover=_opt_str(data, "failover"),
            geolocation_continent_code=_opt_str(data, "geolocation_continent_code"),
            geolocation_country_code=_opt_str(data, "geolocation_country_code"),
            geolocation_subdivision_code=_opt_str(data, "geolocation_subdivision_code"),
            multi_value_answer=_bool(data, "multi_value_answer", False),
            health_check_id=_opt_str(data, "health_check_id"),
        )

    def kms_key(self, data: dict[str, object], path: Path) -> KmsKey:
        return KmsKey(
            key_id=_str(data, "key_id"),
            arn=_str(data, "arn"),
            region=_opt_str(data, "region"),
            description=self.text(data, "description", path),
            key_state=KeyState(_str(data, "key_state", KeyState.ENABLED.value)),
            key_manager=KeyManager(_str(data, "key_manager", KeyManager.CUSTOMER.value)),
            key_spec=_str(data, "key_spec", "SYMMETRIC_DEFAULT"),
            key_usage=_str(data, "key_usage", "ENCRYPT_DECRYPT"),
            rotation_enabled=_bool(data, "rotation_enabled", False),
            policy=_doc(data.get("policy")),
            aliases=_strs(data, "aliases"),
            source=self.src(path),
        )

    def load_balancer(self, data: dict[str, object], path: Path) -> LoadBalancer:
        return LoadBalancer(
            arn=_str(data, "arn"),
            name=_str(data, "name"),
            dns_name=_opt_str(data, "dns_name"),
            canonical_hosted_zone_id=_opt_str(data, "canonical_hosted_zone_id"),
            scheme=LoadBalancerScheme(
                _str(data, "scheme", LoadBalancerScheme.INTERNET_FACING.value)
            ),
            type=LoadBalancerType(_str(data, "type", LoadBalancerType.APPLICATION.value)),
            vpc_id=_opt_str(data, "vpc_id"),
            subnet_ids=_strs(data, "subnet_ids"),
            security_groups=_strs(data, "security_groups"),
            tags=self.free_map(data, "tags", path),
            listeners=self.objects(data, "listeners", path, self.listener),
            source=self.src(path),
        )

    def listener(self, data: dict[str, object], path: Path) -> Listener:
        return Listener(
            port=_int(data, "port", 0),
            protocol=_str(data, "protocol"),
            certificates=_strs(data, "certificates"),
            ssl_policy=_opt_str(data, "ssl_policy"),
            default_actions=_dicts(data.get("default_actions")),
            rules=self.objects(data, "rules", path, self.listener_rule),
            source=self.src(path),
        )

    def listener_rule(self, data: dict[str, object], path: Path) -> ListenerRule:
        priority = data.get("priority")
        return ListenerRule(
            priority=priority if isinstance(priority, int | str) else "default",
            conditions=_dicts(data.get("conditions")),
            actions=_dicts(data.get("actions")),
            source=self.src(path),
        )


# -- value helpers (the schema has checked the types; these only narrow them)


def _str(data: object, key: str, default: str = "") -> str:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, str) else default


def _opt_str(data: Mapping[str, object], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _bool(data: object, key: str, default: bool) -> bool:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, bool) else default


def _int(data: Mapping[str, object], key: str, default: int) -> int:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _opt_int(data: Mapping[str, object], key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _strs(data: Mapping[str, object], key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    value = data.get(key)
    if not isinstance(value, list):
        return default
    return tuple(v for v in value if isinstance(v, str))


def _protocol(data: Mapping[str, object]) -> str:
    value = data.get("protocol")
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else "-1"


def _icmp(data: Mapping[str, object], key: str) -> int | None:
    """An ICMP type or code; -1 (any) is kept as None."""
    value = _opt_int(data, key)
    return None if value is None or value == -1 else value


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _dicts(value: object) -> tuple[dict[str, object], ...]:
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, dict))


def _doc(value: object) -> PolicyDocument:
    return value if isinstance(value, dict) else {}


def _levels(value: object) -> tuple[tuple[PolicyDocument, ...], ...]:
    if not isinstance(value, list):
        return ()
    return tuple(_dicts(level) for level in value)


# ---------------------------------------------------------------------------
# merging documents


_ACCOUNT_COLLECTIONS: tuple[tuple[str, str, str], ...] = (
    # (Account field, key attribute, noun)
    ("eks_clusters", "arn", "EKS cluster"),
    ("vpcs", "vpc_id", "VPC"),
    ("subnets", "subnet_id", "subnet"),
    ("route_tables", "route_table_id", "route table"),
    ("internet_gateways", "internet_gateway_id", "internet gateway"),
    ("nat_gateways", "nat_gateway_id", "NAT gateway"),
    ("instances", "instance_id", "instance"),
    ("roles", "arn", "IAM role"),
    ("policies", "arn", "IAM policy"),
    ("oidc_providers", "arn", "OIDC provider"),
    ("saml_providers", "arn", "SAML provider"),
    ("ecr_repositories", "arn", "ECR repository"),
    ("hosted_zones", "id", "hosted zone"),
    ("kms_keys", "arn", "KMS key"),
    ("load_balancers", "arn", "load balancer"),
    ("security_groups", "group_id", "security group"),
    ("prefix_lists", "prefix_list_id", "prefix list"),
    ("network_acls", "network_acl_id", "network ACL"),
    ("vpc_peering_connections", "peering_connection_id", "VPC peering connection"),
    ("network_interfaces", "eni_id", "network interface"),
    ("vpc_endpoints", "vpc_endpoint_id", "VPC endpoint"),
    ("db_instances", "db_instance_id", "DB instance"),
    ("cache_clusters", "cache_cluster_id", "cache cluster"),
    ("efs_mount_targets", "mount_target_id", "EFS mount target"),
    ("unreadable_network_acls", "network_acl_id", "network ACL"),
)


@dataclass(slots=True)
class _Merged:
    first: Account
    alias: str | None
    organization: Organization | None
    parts: dict[str, dict[str, Any]]


def _keep_first(
    seen: dict[str, Any], key: str, obj: Any, noun: str, diagnostics: list[Diagnostic]
) -> None:
    if key not in seen:
        seen[key] = obj
        return
    first_source: Source = seen[key].source
    diagnostics.append(
        Diagnostic(
            obj.source,
            f"duplicate {noun} {key}: already defined at {first_source}",
            "remove one of the two; the first definition was kept",
            level=DiagnosticLevel.WARNING,
            code="aws-duplicate",
        )
    )


def _merge(accounts: Sequence[Account], diagnostics: list[Diagnostic]) -> tuple[Account, ...]:
    merged: dict[str, _Merged] = {}
    for account in accounts:
        entry = merged.get(account.id)
        if entry is None:
            entry = _Merged(account, account.alias, account.organization, {})
            merged[account.id] = entry
        else:
            if account.alias and entry.alias and account.alias != entry.alias:
                diagnostics.append(
                    Diagnostic(
                        account.source,
                        f"account {account.id} has alias '{account.alias}' here and "
                        f"'{entry.alias}' at {entry.first.source}",
                        "use one alias; the first was kept",
                        level=DiagnosticLevel.WARNING,
                        code="aws-duplicate",
                    )
                )
            entry.alias = entry.alias or account.alias
            entry.organization = entry.organization or account.organization
        for attribute, key, noun in _ACCOUNT_COLLECTIONS:
            seen = entry.parts.setdefault(attribute, {})
            for obj in getattr(account, attribute):
                _keep_first(seen, getattr(obj, key), obj, noun, diagnostics)
    out: list[Account] = []
    for entry in merged.values():
        first = entry.first
        fields: dict[str, Any] = {
            attribute: tuple(entry.parts.get(attribute, {}).values())
            for attribute, _, _ in _ACCOUNT_COLLECTIONS
        }
        out.append(
            Account(
                id=first.id,
                alias=entry.alias,
                partition=first.partition,
                organization=entry.organization,
                source=first.source,
                **fields,
            )
        )
    return tuple(out)


def build_aws(docs: Sequence[AwsDocument]) -> tuple[AwsState, list[Diagnostic]]:
    """Validate and merge aws.json documents into one :class:`AwsState`.

    Returns the state and every diagnostic: schema errors (the invalid object
    is left out), unknown fields, duplicates, secret-looking values and
    unsupported versions.
    """
    diagnostics: list[Diagnostic] = []
    accounts: list[Account] = []
    managed: dict[str, ManagedPolicy] = {}
    gaps: list[CollectionGap] = []
    for doc in docs:
        if not is_aws_document(doc.data):
            diagnostics.append(
                Diagnostic(
                    Source(doc.file, line_of(doc.lines, "")),
                    f"not an aws.json document: 'format' must be \"{FORMAT}\"",
                    f'set "format": "{FORMAT}" (see {DOCS}); the file was not loaded',
                    code="aws-schema",
                )
            )
            continue
        version = doc.data.get("version")
        if (
            isinstance(version, int)
            and not isinstance(version, bool)
            and version > max(SUPPORTED_VERSIONS)
        ):
            supported = ", ".join(str(v) for v in SUPPORTED_VERSIONS)
            diagnostics.append(
                Diagnostic(
                    _source(doc, ("version",)),
                    f"aws.json version {version} is newer than this ekstwin supports "
                    f"(supported versions: {supported})",
                    "upgrade ekstwin, or write the file in a supported version; "
                    "the file was not loaded",
                    code="aws-version",
                )
            )
            continue
        if schemacheck.valid(doc.data, _schema()) is True:  # the common case, fast
            validated = _Validated(set(), set(), document_ok=not _root_broken(doc))
        else:  # jsonschema says what is wrong, and where
            validated = _validate(doc, _validator(), diagnostics)
        if not validated.document_ok:
            continue
        _check_network(doc, validated, diagnostics)
        reader = _Reader(doc, validated, diagnostics)
        for policy in reader.objects(doc.data, "aws_managed_policies", (), reader.managed_policy):
            _keep_first(managed, policy.arn, policy, "AWS managed policy", diagnostics)
        accounts.extend(reader.objects(doc.data, "accounts", (), reader.account))
        gaps.extend(_collection_gaps(doc, diagnostics))
    state = AwsState(
        accounts=_merge(accounts, diagnostics),
        managed_policies=tuple(managed.values()),
        collection_gaps=tuple(gaps),
    )
    return state, diagnostics


#: Collector diagnostics shown in full per service and code; the rest are counted.
_GAPS_SHOWN = 3


def _collection_gaps(doc: AwsDocument, diagnostics: list[Diagnostic]) -> list[CollectionGap]:
    """The reads that failed when the document was collected (``collector.diagnostics``),
    and one warning per service and error code that says so, so a report on the
    file shows what its verdicts could not see."""
    collector = doc.data.get("collector")
    entries = collector.get("diagnostics") if isinstance(collector, dict) else None
    if not isinstance(entries, list):
        return []
    gaps: list[CollectionGap] = []
    for i, e in enumerate(entries):
        if not isinstance(e, dict):
            continue

        def text(key: str, e: dict[str, object] = e) -> str | None:
            value = e.get(key)
            return value if isinstance(value, str) and value else None

        gaps.append(
            CollectionGap(
                service=text("service") or "aws",
                operation=text("operation") or "",
                code=text("code") or "error",
                message=text("message") or "",
                source=_source(doc, ("collector", "diagnostics", i)),
                region=text("region"),
                resource=text("resource"),
            )
        )
    by_kind: dict[tuple[str, str], list[CollectionGap]] = {}
    for gap in gaps:
        by_kind.setdefault((gap.service, gap.code), []).append(gap)
    for (service, code), group in by_kind.items():
        first = group[0]
        examples = "; ".join(
            f"{g.service}:{g.operation or '(listing)'}"
            + (f" in {g.region}" if g.region else "")
            + (f" for {g.resource}" if g.resource else "")
            for g in group[:_GAPS_SHOWN]
        )
        more = f" and {len(group) - _GAPS_SHOWN} more" if len(group) > _GAPS_SHOWN else ""
        diagnostics.append(
            Diagnostic(
                first.source,
                f"when this file was collected, {len(group)} {service} read(s) failed with "
                f"{code} ({examples}{more}): {first.message}; what they would have read is "
                "unknown, and checks that need it are judged on partial data",
                "collect again with the permissions of docs/collect-iam-policy.json "
                "(ekstwin collect aws), or accept the gap",
                level=DiagnosticLevel.WARNING,
                code="collect-aws",
            )
        )
    return gaps
