"""Collect an AWS account into an ``aws.json`` document, read-only, through boto3.

Only the Describe/List/Get actions in :data:`ekstwin.collect.policy.IAM_ACTIONS`
are called. Every list is paginated; throttling is retried with backoff
(botocore's ``standard`` retry mode) within a time bound for the whole
collection, and each retry is told through ``notice``. An error on one service or one object
(AccessDenied, an API the endpoint does not implement, a timeout) becomes a
:class:`CollectIssue`: it is written under the document's ``collector`` field
and returned as a :class:`Diagnostic`, and the rest is still collected.

boto3 is an optional dependency: it is imported when a collection starts.
"""

from __future__ import annotations

import importlib
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import yaml

from ekstwin.errors import ConfigError, EkstwinError
from ekstwin.findings import Diagnostic, DiagnosticLevel
from ekstwin.model.source import Source

__all__ = [
    "AwsCollectOptions",
    "AwsCollection",
    "CollectIssue",
    "MIN_READ_SHARE",
    "Notice",
    "Progress",
    "collect_aws",
]

#: ``progress(step, done, total)``: called before each step and once at the end.
Progress = Callable[[str, int, int], None]

#: ``notice(message)``: something a person waiting for the collection should know
#: (a call being retried, and why).
Notice = Callable[[str], None]

#: Below this share of reads that succeeded, the collection is incomplete: the CLI
#: exits 2 (the file is still written, with what failed under ``collector``).
MIN_READ_SHARE = 0.5

#: What a response that is not the AWS API's shape raises in the code that reads it
#: (a proxy's HTML error page with status 200, a stub that answers something else).
_SHAPE_ERRORS: tuple[type[Exception], ...] = (
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    ValueError,
)

#: Errors that mean "this object has no such part", not a failure.
_ABSENT = frozenset(
    {
        "RepositoryPolicyNotFoundException",
        "NoSuchEntity",
        "NotFoundException",
        "ResourceNotFoundException",
    }
)


@dataclass(frozen=True, slots=True)
class AwsCollectOptions:
    """What to collect. ``regions`` empty means the session's default region."""

    regions: tuple[str, ...] = ()
    profile: str | None = None
    cluster: str | None = None
    endpoint_url: str | None = None
    max_attempts: int = 10
    """Attempts per call, the first included (botocore's ``total_max_attempts``)."""
    retry_mode: str = "standard"
    """botocore's retry mode: ``standard`` backs off per call, with jitter, on throttling
    and transient errors. Not ``adaptive``: once throttled, its client-side rate
    limiter makes every later call wait, outside any bound and without a word
    (a throttled IAM at 0.5 calls a second turns 200 calls into minutes)."""
    max_retry_seconds: float = 120.0
    """Time the whole collection may spend waiting to retry failed calls. Once spent,
    a call that fails is not retried and becomes an issue; the total wait is bounded
    by this plus one backoff (at most 20 s in botocore)."""


@dataclass(frozen=True, slots=True)
class CollectIssue:
    """Something the collector could not read; the rest was collected."""

    service: str
    operation: str
    message: str
    code: str
    region: str | None = None
    resource: str | None = None
    level: DiagnosticLevel = DiagnosticLevel.WARNING

    def to_json(self) -> dict[str, object]:
        return {
            "level": self.level.value,
            "code": self.code,
            "service": self.service,
            "operation": self.operation,
            "region": self.region,
            "resource": self.resource,
            "message": self.message,
        }

    def diagnostic(self) -> Diagnostic:
        where = self.service + (f" in {self.region}" if self.region else "")
        what = f" for {self.resource}" if self.resource else ""
        hint = (
            "grant the actions of docs/collect-iam-policy.json to the collecting principal"
            if "AccessDenied" in self.code or "Unauthorized" in self.code
            else "run the collector again; the rest of the account was collected"
        )
        return Diagnostic(
            Source(f"aws:{self.service}"),
            f"{where}: {self.service}:{self.operation}{what} failed: {self.code}: {self.message}",
            hint,
            level=self.level,
            code="collect-aws",
        )


@dataclass(frozen=True, slots=True)
class AwsCollection:
    """The collected ``aws.json`` document and what could not be read.

    ``reads`` counts every read (a listing, or a call for one object) and ``failed``
    those that became an issue.
    """

    document: dict[str, object]
    issues: tuple[CollectIssue, ...] = ()
    reads: int = 0
    failed: int = 0

    @property
    def read_share(self) -> float:
        """The share of reads that succeeded (0 when nothing was read)."""
        return (self.reads - self.failed) / self.reads if self.reads else 0.0

    @property
    def complete_enough(self) -> bool:
        return self.reads > self.failed and self.read_share >= MIN_READ_SHARE

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return tuple(i.diagnostic() for i in self.issues)


def _aws_managed_arn(arn: str) -> bool:
    return ":iam::aws:policy/" in arn


def _utc(value: object) -> str | None:
    if isinstance(value, datetime):
        stamp = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value) if value is not None else None


def _tags(items: object, key: str = "Key", value: str = "Value") -> dict[str, str]:
    if isinstance(items, Mapping):  # EKS and ECR give maps
        return {str(k): str(v) for k, v in items.items()}
    out: dict[str, str] = {}
    if isinstance(items, list):
        for tag in items:
            if isinstance(tag, Mapping) and key in tag:
                out[str(tag[key])] = str(tag.get(value, ""))
    return out


def _policy(value: object) -> dict[str, object] | None:
    """A policy document: IAM gives dicts (botocore decodes them), others JSON text."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


_OCTAL = re.compile(r"\\(\d{3})")


def _dns_name(name: str) -> str:
    """Route53 escapes characters such as ``*`` as ``\\052``; undo it."""
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), name)


def _configuration(text: object) -> dict[str, object]:
    """An addon's configurationValues: JSON or YAML text."""
    if not isinstance(text, str) or not text.strip():
        return {}
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return value if isinstance(value, dict) else {}


class _RetriesSpent(EkstwinError):
    """A call failed after the collection spent its retry time: not retried."""

    def __init__(self, code: str, message: str, operation: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.operation = operation


class _NotTheApi(EkstwinError):
    """The endpoint answered with something other than the AWS API (an HTML page)."""

    def __init__(self, message: str, operation: str) -> None:
        super().__init__(message)
        self.operation = operation


class _Run:
    """One collection: the session, its clients and the issues met."""

    def __init__(
        self,
        options: AwsCollectOptions,
        session: Any,
        progress: Progress | None,
        notice: Notice | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.options = options
        self.session = session
        self.progress = progress
        self.notice = notice
        self.clock = clock
        self.issues: list[CollectIssue] = []
        self.reads = 0
        self.retry_seconds = 0.0
        self._failed_at: float | None = None
        self._failed_code = ""
        self._clients: dict[tuple[str, str], Any] = {}
        botocore_config = importlib.import_module("botocore.config")
        self._config = botocore_config.Config(
            retries={"mode": options.retry_mode, "total_max_attempts": options.max_attempts},
            user_agent_extra="ekstwin-collect",
        )
        exceptions = importlib.import_module("botocore.exceptions")
        self._client_error: type[Exception] = exceptions.ClientError
        self._errors: tuple[type[Exception], ...] = (
            exceptions.ClientError,
            exceptions.BotoCoreError,
            _RetriesSpent,
            _NotTheApi,
        )

    # -- plumbing

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            client = self.session.client(
                service,
                region_name=region,
                endpoint_url=self.options.endpoint_url,
                config=self._config,
            )
            events = client.meta.events
            events.register("needs-retry", self._on_needs_retry)
            events.register_last("before-send", self._on_before_send)
            self._clients[key] = client
        return self._clients[key]

    # -- retries: told, and bounded in total

    def _on_needs_retry(
        self,
        response: Any = None,
        caught_exception: Exception | None = None,
        operation: Any = None,
        **_: Any,
    ) -> None:
        """After every attempt (botocore decides on the retry): a failure is noted, and
        once the retry time is spent it ends the call instead of waiting again."""
        if isinstance(caught_exception, _RetriesSpent | _NotTheApi):
            return
        code = ""
        if caught_exception is not None:
            code = type(caught_exception).__name__
        elif response is not None:
            http, parsed = response
            status = getattr(http, "status_code", 200)
            # By its body, not its Content-Type: some endpoints label JSON text/html.
            head = bytes(getattr(http, "content", b"") or b"")[:256].lstrip().lower()
            if status < 300 and head.startswith((b"<!doctype html", b"<html")):
                raise _NotTheApi(
                    f"answered with an HTML page and status {status}",
                    getattr(operation, "name", ""),
                )
            if status < 400:
                return
            error = parsed.get("Error") if isinstance(parsed, dict) else None
            code = str((error or {}).get("Code") or getattr(http, "status_code", ""))
        else:
            return
        if self.retry_seconds >= self.options.max_retry_seconds:
            name = getattr(operation, "name", "")
            raise _RetriesSpent(
                code,
                f"{name} failed with {code} and was not retried: the collection spent "
                f"its {self.options.max_retry_seconds:.0f} s of retries",
                name,
            )
        self._failed_at = self.clock()
        self._failed_code = code

    def _on_before_send(self, request: Any = None, event_name: str = "", **_: Any) -> None:
        """Before every attempt: a retry adds its wait to the retry time, and says so."""
        context = getattr(request, "context", None) or {}
        attempt = (context.get("retries") or {}).get("attempt", 1)
        if attempt <= 1:  # a first attempt: a failure noted before was not retried
            self._failed_at = None
            return
        if self._failed_at is None:
            return
        self.retry_seconds += max(0.0, self.clock() - self._failed_at)
        self._failed_at = None
        if self.notice is not None:
            call = ":".join(event_name.split(".")[1:3])
            self.notice(
                f"retrying {call} after {self._failed_code} (attempt "
                f"{attempt}; {self.retry_seconds:.0f} s of the "
                f"{self.options.max_retry_seconds:.0f} s retry time used)"
            )

    def pages(self, client: Any, operation: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every page of a list call: botocore's paginator, or the call's own token."""
        if client.can_paginate(operation):
            yield from client.get_paginator(operation).paginate(**kwargs)
            return
        method = getattr(client, operation)
        args = dict(kwargs)
        seen: set[str] = set()
        while True:
            page: dict[str, Any] = method(**args)
            yield page
            for out_key, in_key in (
                ("NextToken", "NextToken"),
                ("nextToken", "nextToken"),
                ("NextMarker", "Marker"),
            ):
                token = page.get(out_key)
                if token:
                    if str(token) in seen:
                        raise ValueError(f"{operation} repeated its pagination token")
                    seen.add(str(token))
                    args[in_key] = token
                    break
            else:
                return

    def record(
        self,
        exc: Exception,
        service: str,
        operation: str,
        region: str | None,
        resource: str | None = None,
    ) -> None:
        code = type(exc).__name__
        message = str(exc)
        if isinstance(exc, _RetriesSpent | _NotTheApi):
            operation = exc.operation or operation
        if isinstance(exc, _RetriesSpent):
            code, message = exc.code, exc.message
        elif isinstance(exc, (*_SHAPE_ERRORS, _NotTheApi)):
            what = str(exc) if isinstance(exc, _NotTheApi) else f"{type(exc).__name__}: {exc}"
            code = "UnexpectedResponse"
            message = (
                f"the answer is not the AWS API's ({what}); a proxy's error page or an "
                "endpoint that is not AWS may have answered"
            )
        elif isinstance(exc, self._client_error):
            error = getattr(exc, "response", {}).get("Error", {})
            code = str(error.get("Code") or code)
            message = str(error.get("Message") or message)
            operation = str(getattr(exc, "operation_name", "") or operation)
        message = " ".join(re.sub(r"<[^>]+>", " ", message).split())
        if len(message) > 300:
            message = message[:297] + "..."
        self.issues.append(CollectIssue(service, operation, message, code, region, resource))

    def attempt(
        self,
        service: str,
        operation: str,
        region: str | None,
        method: Callable[..., Any],
        resource: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """``method(**kwargs)``, or None with an issue recorded. A missing part is no issue."""
        self.reads += 1
        try:
            return method(**kwargs)
        except (*self._errors, *_SHAPE_ERRORS) as exc:
            if isinstance(exc, self._client_error):
                code = getattr(exc, "response", {}).get("Error", {}).get("Code")
                if code in _ABSENT:
                    return None
            self.record(exc, service, operation, region, resource)
            return None

    def section(
        self,
        service: str,
        region: str | None,
        fn: Callable[..., list[dict[str, object]]],
        *args: Any,
    ) -> list[dict[str, object]]:
        """``fn(*args)``: an error in the listing itself leaves it empty, with an issue."""
        self.reads += 1
        try:
            return fn(*args)
        except (*self._errors, *_SHAPE_ERRORS) as exc:
            self.record(exc, service, "", region)
            return []


# ---------------------------------------------------------------------------
# services


def _identity(run: _Run, region: str) -> tuple[str, str]:
    sts = run.client("sts", region)
    arn = str(sts.get_caller_identity()["Arn"])
    parts = arn.split(":")
    return parts[4], parts[1]


def _account_alias(run: _Run, region: str) -> str | None:
    iam = run.client("iam", region)

    def aliases() -> list[str]:
        return [
            a for page in run.pages(iam, "list_account_aliases") for a in page["AccountAliases"]
        ]

    found = run.attempt("iam", "ListAccountAliases", None, aliases)
    return str(found[0]) if found else None


def _iam(run: _Run, region: str) -> tuple[dict[str, object], set[str], dict[str, str]]:
    """The iam section, the AWS managed policy ARNs roles attach, instance profile -> role."""
    iam = run.client("iam", region)
    aws_managed: set[str] = set()

    def roles() -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        for page in run.pages(iam, "list_roles"):
            for listed in page["Roles"]:
                name = str(listed["RoleName"])
                got = run.attempt("iam", "GetRole", None, iam.get_role, name, RoleName=name)
                role = got["Role"] if got else listed
                inline: dict[str, object] = {}
                for ppage in run.pages(iam, "list_role_policies", RoleName=name):
                    for policy_name in ppage["PolicyNames"]:
                        doc = run.attempt(
                            "iam",
                            "GetRolePolicy",
                            None,
                            iam.get_role_policy,
                            f"{name}/{policy_name}",
                            RoleName=name,
                            PolicyName=policy_name,
                        )
                        document = _policy(doc["PolicyDocument"]) if doc else None
                        if document is not None:
                            inline[str(policy_name)] = document
                attached = [
                    str(p["PolicyArn"])
                    for apage in run.pages(iam, "list_attached_role_policies", RoleName=name)
                    for p in apage["AttachedPolicies"]
                ]
                aws_managed.update(a for a in attached if _aws_managed_arn(a))
                boundary = role.get("PermissionsBoundary") or {}
                out.append(
                    {
                        "name": name,
                        "arn": str(role["Arn"]),
                        "path": str(role.get("Path", "/")),
                        "trust_policy": _policy(role.get("AssumeRolePolicyDocument"))
                        or {"Version": "2012-10-17", "Statement": []},
                        "inline_policies": inline,
                        "attached_policy_arns": attached,
                        "permissions_boundary_arn": boundary.get("PermissionsBoundaryArn"),
                        "max_session_duration": int(role.get("MaxSessionDuration", 3600)),
                        "tags": _tags(role.get("Tags")),
                    }
                )
                arn = boundary.get("PermissionsBoundaryArn")
                if isinstance(arn, str) and _aws_managed_arn(arn):
                    aws_managed.add(arn)
        return out

    def policies() -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        for page in run.pages(iam, "list_policies", Scope="Local"):
            for policy in page["Policies"]:
                document = _policy_document(run, iam, str(policy["Arn"]), policy)
                if document is not None:
                    out.append(
                        {
                            "arn": str(policy["Arn"]),
                            "name": str(policy["PolicyName"]),
                            "path": str(policy.get("Path", "/")),
                            "document": document,
                        }
                    )
        return out

    def oidc() -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        for listed in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
            arn = str(listed["Arn"])
            got = run.attempt(
                "iam",
                "GetOpenIDConnectProvider",
                None,
                iam.get_open_id_connect_provider,
                arn,
                OpenIDConnectProviderArn=arn,
            )
            if got is None:
                continue
            out.append(
                {
                    "arn": arn,
                    "url": str(got["Url"]).removeprefix("https://"),
                    "client_ids": [str(c) for c in got.get("ClientIDList", [])],
                    "thumbprints": [str(t) for t in got.get("ThumbprintList", [])],
                }
            )
        return out

    def saml() -> list[dict[str, object]]:
        return [
            {"arn": str(p["Arn"]), "name": str(p["Arn"]).rsplit("/", 1)[-1]}
            for p in iam.list_saml_providers()["SAMLProviderList"]
        ]

    def profiles() -> list[dict[str, object]]:
        return [
            {"arn": str(p["Arn"]), "role": str(p["Roles"][0]["Arn"])}
            for page in run.pages(iam, "list_instance_profiles")
            for p in page["InstanceProfiles"]
            if p.get("Roles")
        ]

    section: dict[str, object] = {
        "roles": run.section("iam", None, roles),
        "policies": run.section("iam", None, policies),
        "oidc_providers": run.section("iam", None, oidc),
        "saml_providers": run.section("iam", None, saml),
    }
    profile_roles = {str(p["arn"]): str(p["role"]) for p in run.section("iam", None, profiles)}
    return section, aws_managed, profile_roles


def _policy_document(
    run: _Run, iam: Any, arn: str, policy: Mapping[str, Any] | None = None
) -> dict[str, object] | None:
    if policy is None:
        got = run.attempt("iam", "GetPolicy", None, iam.get_policy, arn, PolicyArn=arn)
        if got is None:
            return None
        policy = got["Policy"]
    version_id = str(policy.get("DefaultVersionId", "v1"))
    version = run.attempt(
        "iam",
        "GetPolicyVersion",
        None,
        iam.get_policy_version,
        arn,
        PolicyArn=arn,
        VersionId=version_id,
    )
    if version is None:
        return None
    return _policy(version["PolicyVersion"].get("Document"))


def _aws_managed(run: _Run, region: str, arns: set[str]) -> list[dict[str, object]]:
    iam = run.client("iam", region)
    out: list[dict[str, object]] = []
    for arn in sorted(arns):
        got = run.attempt("iam", "GetPolicy", None, iam.get_policy, arn, PolicyArn=arn)
        if got is None:
            continue
        policy = got["Policy"]
        document = _policy_document(run, iam, arn, policy)
        if document is not None:
            out.append(
                {
                    "arn": arn,
                    "name": str(policy["PolicyName"]),
                    "path": str(policy.get("Path", "/")),
                    "document": document,
                }
            )
    return out


def _eks(run: _Run, region: str) -> list[dict[str, object]]:
    eks = run.client("eks", region)
    names = [str(n) for page in run.pages(eks, "list_clusters") for n in page["clusters"]]
    if run.options.cluster:
        names = [n for n in names if n == run.options.cluster]
    return [c for n in names if (c := _eks_cluster(run, eks, region, n)) is not None]


def _eks_cluster(run: _Run, eks: Any, region: str, name: str) -> dict[str, object] | None:
    got = run.attempt("eks", "DescribeCluster", region, eks.describe_cluster, name, name=name)
    if got is None:
        return None
    c = got["cluster"]
    vpc = c.get("resourcesVpcConfig") or {}
    net = c.get("kubernetesNetworkConfig") or {}
    access = c.get("accessConfig") or {}
    issuer = ((c.get("identity") or {}).get("oidc") or {}).get("issuer")
    logging_types = [
        str(t)
        for setup in (c.get("logging") or {}).get("clusterLogging", [])
        if setup.get("enabled")
        for t in setup.get("types", [])
    ]
    cluster: dict[str, object] = {
        "name": name,
        "region": region,
        "arn": str(c["arn"]),
        "version": str(c["version"]),
        "platform_version": c.get("platformVersion"),
        "role_arn": c.get("roleArn"),
        "subnet_ids": [str(s) for s in vpc.get("subnetIds", [])],
        "cluster_security_group_id": vpc.get("clusterSecurityGroupId"),
        "security_group_ids": [str(g) for g in vpc.get("securityGroupIds") or []],
        "service_ipv4_cidr": net.get("serviceIpv4Cidr"),
        "ip_family": str(net.get("ipFamily", "ipv4")),
        "endpoint": {
            "public_access": bool(vpc.get("endpointPublicAccess", True)),
            "private_access": bool(vpc.get("endpointPrivateAccess", False)),
            "public_access_cidrs": [str(x) for x in vpc.get("publicAccessCidrs", ["0.0.0.0/0"])],
        },
        "encryption_config": [
            {
                "resources": [str(r) for r in e.get("resources", [])],
                "key_arn": str(e["provider"]["keyArn"]),
            }
            for e in c.get("encryptionConfig") or []
            if (e.get("provider") or {}).get("keyArn")
        ],
        "oidc_issuer": issuer,
        "authentication_mode": str(access.get("authenticationMode", "CONFIG_MAP")),
        "logging": {"enabled_types": logging_types},
        "tags": _tags(c.get("tags")),
    }
    if vpc.get("vpcId"):
        cluster["vpc_id"] = str(vpc["vpcId"])
    if "bootstrapClusterCreatorAdminPermissions" in access:
        cluster["bootstrap_cluster_creator_admin_permissions"] = bool(
            access["bootstrapClusterCreatorAdminPermissions"]
        )
    cluster["node_groups"] = run.section("eks", region, _node_groups, run, eks, region, name)
    cluster["access_entries"] = run.section("eks", region, _access_entries, run, eks, region, name)
    cluster["pod_identity_associations"] = run.section(
        "eks", region, _pod_identities, run, eks, region, name
    )
    cluster["identity_provider_configs"] = run.section(
        "eks", region, _identity_provider_configs, run, eks, region, name
    )
    addons = run.section("eks", region, _addons, run, eks, region, name)
    cluster["addons"] = addons
    for addon in addons:
        config = addon.get("configuration")
        if addon["name"] == "vpc-cni" and isinstance(config, dict):
            env = config.get("env")
            if isinstance(env, dict):
                cluster["vpc_cni"] = {"env": {str(k): str(v) for k, v in env.items()}}
    return cluster


def _node_groups(run: _Run, eks: Any, region: str, cluster: str) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for page in run.pages(eks, "list_nodegroups", clusterName=cluster):
        for name in page["nodegroups"]:
            got = run.attempt(
                "eks",
                "DescribeNodegroup",
                region,
                eks.describe_nodegroup,
                f"{cluster}/{name}",
                clusterName=cluster,
                nodegroupName=name,
            )
            if got is None:
                continue
            g = got["nodegroup"]
            scaling = g.get("scalingConfig") or {}
            group: dict[str, object] = {
                "name": str(name),
                "instance_types": [str(t) for t in g.get("instanceTypes") or []],
                "subnet_ids": [str(s) for s in g.get("subnets") or []],
                "node_role_arn": g.get("nodeRole"),
                "ami_type": g.get("amiType"),
                "capacity_type": g.get("capacityType"),
                "scaling": {
                    "min": int(scaling.get("minSize", 1)),
                    "max": int(scaling.get("maxSize", 1)),
                    "desired": int(scaling.get("desiredSize", 1)),
                },
                "labels": _tags(g.get("labels") or {}),
                "taints": [
                    {k: str(t[k]) for k in ("key", "value", "effect") if t.get(k) is not None}
                    for t in g.get("taints") or []
                ],
            }
            out.append(group)
    return out


def _access_entries(run: _Run, eks: Any, region: str, cluster: str) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for page in run.pages(eks, "list_access_entries", clusterName=cluster):
        for principal in page["accessEntries"]:
            got = run.attempt(
                "eks",
                "DescribeAccessEntry",
                region,
                eks.describe_access_entry,
                str(principal),
                clusterName=cluster,
                principalArn=principal,
            )
            if got is None:
                continue
            e = got["accessEntry"]
            policies = [
                {
                    "policy_arn": str(a["policyArn"]),
                    "access_scope": {
                        "type": str((a.get("accessScope") or {}).get("type", "cluster")),
                        "namespaces": [
                            str(n) for n in (a.get("accessScope") or {}).get("namespaces", [])
                        ],
                    },
                }
                for apage in run.pages(
                    eks,
                    "list_associated_access_policies",
                    clusterName=cluster,
                    principalArn=principal,
                )
                for a in apage["associatedAccessPolicies"]
            ]
            out.append(
                {
                    "principal_arn": str(e["principalArn"]),
                    "type": str(e.get("type", "STANDARD")),
                    "username": e.get("username"),
                    "kubernetes_groups": [str(g) for g in e.get("kubernetesGroups") or []],
                    "access_policies": policies,
                }
            )
    return out


def _pod_identities(run: _Run, eks: Any, region: str, cluster: str) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for page in run.pages(eks, "list_pod_identity_associations", clusterName=cluster):
        for summary in page["associations"]:
            association_id = str(summary["associationId"])
            got = run.attempt(
                "eks",
                "DescribePodIdentityAssociation",
                region,
                eks.describe_pod_identity_association,
                association_id,
                clusterName=cluster,
                associationId=association_id,
            )
            if got is None:
                continue
            a = got["association"]
            out.append(
                {
                    "association_id": association_id,
                    "namespace": str(a["namespace"]),
                    "service_account": str(a["serviceAccount"]),
                    "role_arn": str(a["roleArn"]),
                    "target_role_arn": a.get("targetRoleArn"),
                    "external_id": a.get("externalId"),
                    "disable_session_tags": bool(a.get("disableSessionTags", False)),
                }
            )
    return out


def _identity_provider_configs(
    run: _Run, eks: Any, region: str, cluster: str
) -> list[dict[str, object]]:
    """The cluster's OIDC identity provider configs (people signing in without IAM)."""
    out: list[dict[str, object]] = []
    for page in run.pages(eks, "list_identity_provider_configs", clusterName=cluster):
        for ref in page["identityProviderConfigs"]:
            if ref.get("type") != "oidc":
                continue
            name = str(ref["name"])
            got = run.attempt(
                "eks",
                "DescribeIdentityProviderConfig",
                region,
                eks.describe_identity_provider_config,
                name,
                clusterName=cluster,
                identityProviderConfig={"type": "oidc", "name": name},
            )
            if got is None:
                continue
            o = (got.get("identityProviderConfig") or {}).get("oidc") or {}
            out.append(
                {
                    "name": name,
                    "type": "oidc",
                    "issuer_url": str(o.get("issuerUrl", "")),
                    "client_id": str(o.get("clientId", "")),
                    "username_claim": str(o.get("usernameClaim") or "sub"),
                    "username_prefix": o.get("usernamePrefix"),
                    "groups_claim": o.get("groupsClaim"),
                    "groups_prefix": o.get("groupsPrefix"),
                    "required_claims": {
                        str(k): str(v) for k, v in (o.get("requiredClaims") or {}).items()
                    },
                    "status": str(o.get("status") or "ACTIVE"),
                    "tags": _tags(o.get("tags")),
                }
            )
    return out


def _addons(run: _Run, eks: Any, region: str, cluster: str) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for page in run.pages(eks, "list_addons", clusterName=cluster):
        for name in page["addons"]:
            got = run.attempt(
                "eks",
                "DescribeAddon",
                region,
                eks.describe_addon,
                f"{cluster}/{name}",
                clusterName=cluster,
                addonName=name,
            )
            if got is None:
                continue
            a = got["addon"]
            out.append(
                {
                    "name": str(name),
                    "version": a.get("addonVersion"),
                    "service_account_role_arn": a.get("serviceAccountRoleArn"),
                    "configuration": _configuration(a.get("configurationValues")),
                }
            )
    return out


def _ec2(
    run: _Run,
    region: str,
    profile_roles: Mapping[str, str],
    enis: dict[str, Mapping[str, Any]] | None = None,
) -> dict[str, object]:
    """The region's EC2 and VPC objects. ``enis`` (when given) is filled with every
    network interface read, by id, for the services whose interfaces they are."""
    ec2 = run.client("ec2", region)
    every_eni: dict[str, Mapping[str, Any]] = {} if enis is None else enis

    def vpcs() -> list[dict[str, object]]:
        return [
            {
                "vpc_id": str(v["VpcId"]),
                "region": region,
                "cidr_blocks": [
                    str(a["CidrBlock"])
                    for a in v.get("CidrBlockAssociationSet") or [{"CidrBlock": v["CidrBlock"]}]
                    if (a.get("CidrBlockState") or {}).get("State", "associated") == "associated"
                ],
                "tags": _tags(v.get("Tags")),
            }
            for page in run.pages(ec2, "describe_vpcs")
            for v in page["Vpcs"]
        ]

    def subnets() -> list[dict[str, object]]:
        return [
            {
                "subnet_id": str(s["SubnetId"]),
                "vpc_id": str(s["VpcId"]),
                "cidr": str(s["CidrBlock"]),
                "availability_zone": str(s["AvailabilityZone"]),
                "availability_zone_id": s.get("AvailabilityZoneId"),
                "available_ip_addresses": s.get("AvailableIpAddressCount"),
                "map_public_ip_on_launch": bool(s.get("MapPublicIpOnLaunch", False)),
                "tags": _tags(s.get("Tags")),
            }
            for page in run.pages(ec2, "describe_subnets")
            for s in page["Subnets"]
        ]

    def route_tables() -> list[dict[str, object]]:
        return [
            _route_table(t)
            for page in run.pages(ec2, "describe_route_tables")
            for t in page["RouteTables"]
        ]

    def igws() -> list[dict[str, object]]:
        return [
            {
                "internet_gateway_id": str(g["InternetGatewayId"]),
                "vpc_id": next((str(a["VpcId"]) for a in g.get("Attachments") or []), None),
            }
            for page in run.pages(ec2, "describe_internet_gateways")
            for g in page["InternetGateways"]
        ]

    def nats() -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        for page in run.pages(ec2, "describe_nat_gateways"):
            for n in page["NatGateways"]:
                if n.get("State") in ("deleted", "deleting", "failed"):
                    continue
                address: dict[str, Any] = next(iter(n.get("NatGatewayAddresses") or []), {})
                out.append(
                    {
                        "nat_gateway_id": str(n["NatGatewayId"]),
                        "subnet_id": str(n["SubnetId"]),
                        "public_ip": address.get("PublicIp"),
                        "private_ip": address.get("PrivateIp"),
                        "connectivity_type": str(n.get("ConnectivityType", "public")),
                    }
                )
        return out

    def instances() -> list[dict[str, object]]:
        return [
            _instance(i, profile_roles)
            for page in run.pages(ec2, "describe_instances")
            for reservation in page["Reservations"]
            for i in reservation["Instances"]
            if i.get("SubnetId") and (i.get("State") or {}).get("Name") != "terminated"
        ]

    def network_interfaces() -> list[dict[str, object]]:
        for page in run.pages(ec2, "describe_network_interfaces"):
            for n in page["NetworkInterfaces"]:
                every_eni[str(n["NetworkInterfaceId"])] = n
        return [_network_interface(n) for i, n in every_eni.items() if i not in instance_enis]

    found_instances = run.section("ec2", region, instances)
    instance_enis = {
        str(e["eni_id"])
        for i in found_instances
        for e in cast(list[dict[str, object]], i.get("network_interfaces") or [])
    }
    return {
        "vpcs": run.section("ec2", region, vpcs),
        "subnets": run.section("ec2", region, subnets),
        "route_tables": run.section("ec2", region, route_tables),
        "internet_gateways": run.section("ec2", region, igws),
        "nat_gateways": run.section("ec2", region, nats),
        "instances": found_instances,
        "security_groups": run.section("ec2", region, _security_groups, run, ec2, region),
        "prefix_lists": run.section("ec2", region, _prefix_lists, run, ec2, region),
        "network_acls": run.section("ec2", region, _network_acls, run, ec2),
        "vpc_peering_connections": run.section("ec2", region, _peerings, run, ec2),
        "network_interfaces": run.section("ec2", region, network_interfaces),
        "vpc_endpoints": run.section("ec2", region, _vpc_endpoints, run, ec2, every_eni),
    }


# -- the VPC network: security groups, prefix lists, ACLs, peering, ENIs, endpoints

_PORT_PROTOCOLS = frozenset({"tcp", "udp", "6", "17"})
_ICMP_PROTOCOLS = frozenset({"icmp", "icmpv6", "1", "58"})


def _ports(protocol: str, low: object, high: object) -> dict[str, object]:
    """EC2's FromPort/ToPort in the aws.json shape: ports for TCP and UDP, ICMP type
    and code for ICMP (-1 = any), nothing for the other protocols (all of them)."""
    if protocol in _PORT_PROTOCOLS and isinstance(low, int) and isinstance(high, int):
        if (low, high) in ((-1, -1), (0, 65535)):
            return {}
        return {"from_port": low, "to_port": high}
    if protocol in _ICMP_PROTOCOLS:
        icmp_type = low if isinstance(low, int) and low != -1 else None
        icmp_code = high if isinstance(high, int) and high != -1 and icmp_type is not None else None
        return {"icmp_type": icmp_type, "icmp_code": icmp_code}
    return {}


def _permission_rules(
    permission: Mapping[str, Any], group: Mapping[str, Any]
) -> list[dict[str, object]]:
    """One aws.json rule per peer of an EC2 IpPermission."""
    protocol = str(permission.get("IpProtocol", "-1")).lower()
    base: dict[str, object] = {
        "protocol": protocol,
        **_ports(protocol, permission.get("FromPort"), permission.get("ToPort")),
    }
    rules: list[dict[str, object]] = []
    for r in permission.get("IpRanges") or []:
        rules.append({**base, "cidr": str(r["CidrIp"]), "description": r.get("Description")})
    for r in permission.get("Ipv6Ranges") or []:
        rules.append({**base, "cidr": str(r["CidrIpv6"]), "description": r.get("Description")})
    for r in permission.get("PrefixListIds") or []:
        rules.append(
            {**base, "prefix_list_id": str(r["PrefixListId"]), "description": r.get("Description")}
        )
    for r in permission.get("UserIdGroupPairs") or []:
        rule: dict[str, object] = {
            **base,
            "group_id": str(r["GroupId"]),
            "description": r.get("Description"),
        }
        if r.get("VpcId") and r.get("VpcId") != group.get("VpcId"):
            rule["referenced_vpc_id"] = str(r["VpcId"])
        if r.get("UserId") and r.get("UserId") != group.get("OwnerId"):
            rule["referenced_account_id"] = str(r["UserId"])
        rules.append(rule)
    return rules


def _rule_key(group_id: str, egress: bool, rule: Mapping[str, object]) -> tuple[object, ...]:
    peer = rule.get("cidr") or rule.get("prefix_list_id") or rule.get("group_id")
    ports = tuple(rule.get(k) for k in ("from_port", "to_port", "icmp_type", "icmp_code"))
    return (group_id, egress, rule.get("protocol"), ports, peer)


def _security_groups(run: _Run, ec2: Any, region: str) -> list[dict[str, object]]:
    """Every group with its rules, one per peer, from DescribeSecurityGroups' complete
    IpPermissions; DescribeSecurityGroupRules adds each rule's id (when it fails, the
    rules are still complete, without their ids)."""
    groups = [
        g for page in run.pages(ec2, "describe_security_groups") for g in page["SecurityGroups"]
    ]
    out: list[dict[str, object]] = []
    for g in groups:
        out.append(
            {
                "group_id": str(g["GroupId"]),
                "vpc_id": g.get("VpcId"),
                "name": g.get("GroupName"),
                "description": g.get("Description"),
                "owner_id": g.get("OwnerId"),
                "ingress": [
                    r for p in g.get("IpPermissions") or [] for r in _permission_rules(p, g)
                ],
                "egress": [
                    r for p in g.get("IpPermissionsEgress") or [] for r in _permission_rules(p, g)
                ],
                "tags": _tags(g.get("Tags")),
            }
        )
    if not out:
        return out

    def rule_ids() -> dict[tuple[object, ...], str]:
        ids: dict[tuple[object, ...], str] = {}
        for page in run.pages(ec2, "describe_security_group_rules"):
            for r in page["SecurityGroupRules"]:
                group = {"VpcId": None, "OwnerId": r.get("GroupOwnerId")}
                ref = r.get("ReferencedGroupInfo") or {}
                permission = {
                    "IpProtocol": r.get("IpProtocol", "-1"),
                    "FromPort": r.get("FromPort"),
                    "ToPort": r.get("ToPort"),
                    "IpRanges": [{"CidrIp": r["CidrIpv4"]}] if r.get("CidrIpv4") else [],
                    "Ipv6Ranges": [{"CidrIpv6": r["CidrIpv6"]}] if r.get("CidrIpv6") else [],
                    "PrefixListIds": [{"PrefixListId": r["PrefixListId"]}]
                    if r.get("PrefixListId")
                    else [],
                    "UserIdGroupPairs": [{"GroupId": ref["GroupId"]}] if ref.get("GroupId") else [],
                }
                for rule in _permission_rules(permission, group):
                    key = _rule_key(str(r["GroupId"]), bool(r.get("IsEgress")), rule)
                    ids[key] = str(r["SecurityGroupRuleId"])
        return ids

    ids = run.attempt("ec2", "DescribeSecurityGroupRules", region, rule_ids) or {}
    for group in out:
        for direction, egress in (("ingress", False), ("egress", True)):
            for rule in cast(list[dict[str, object]], group[direction]):
                rule_id = ids.get(_rule_key(str(group["group_id"]), egress, rule))
                if rule_id:
                    rule["rule_id"] = rule_id
    return out


def _prefix_lists(run: _Run, ec2: Any, region: str) -> list[dict[str, object]]:
    """Every managed prefix list with its entries. A list whose entries cannot be read
    is left out (an issue says so): written without them it would match nothing."""
    out: list[dict[str, object]] = []
    for page in run.pages(ec2, "describe_managed_prefix_lists"):
        for pl in page["PrefixLists"]:
            if str(pl.get("State", "")).startswith("delete"):
                continue
            pl_id = str(pl["PrefixListId"])

            def entries(i: str = pl_id) -> list[str]:
                return [
                    str(e["Cidr"])
                    for p in run.pages(ec2, "get_managed_prefix_list_entries", PrefixListId=i)
                    for e in p["Entries"]
                ]

            cidrs = run.attempt("ec2", "GetManagedPrefixListEntries", region, entries, pl_id)
            if cidrs is None:
                continue
            out.append(
                {
                    "prefix_list_id": pl_id,
                    "name": pl.get("PrefixListName"),
                    "address_family": "IPv6" if pl.get("AddressFamily") == "IPv6" else "IPv4",
                    "entries": cidrs,
                    "owner_id": pl.get("OwnerId"),
                    "max_entries": pl.get("MaxEntries"),
                }
            )
    return out


def _network_acls(run: _Run, ec2: Any) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for page in run.pages(ec2, "describe_network_acls"):
        for acl in page["NetworkAcls"]:
            entries: list[dict[str, object]] = []
            for e in acl.get("Entries") or []:
                number = int(e["RuleNumber"])
                if number > 32766:  # the implicit "*" entry
                    continue
                protocol = str(e.get("Protocol", "-1"))
                port_range = e.get("PortRange") or {}
                icmp = e.get("IcmpTypeCode") or {}
                entry: dict[str, object] = {
                    "rule_number": number,
                    "egress": bool(e.get("Egress")),
                    "action": str(e.get("RuleAction", "deny")),
                    "protocol": protocol,
                    "cidr": str(e.get("CidrBlock") or e.get("Ipv6CidrBlock")),
                }
                if protocol in _PORT_PROTOCOLS and port_range:
                    entry.update(_ports(protocol, port_range.get("From"), port_range.get("To")))
                elif protocol in _ICMP_PROTOCOLS and icmp:
                    entry.update(_ports(protocol, icmp.get("Type"), icmp.get("Code")))
                entries.append(entry)
            out.append(
                {
                    "network_acl_id": str(acl["NetworkAclId"]),
                    "vpc_id": str(acl["VpcId"]),
                    "is_default": bool(acl.get("IsDefault")),
                    "entries": entries,
                    "subnet_ids": [
                        str(a["SubnetId"])
                        for a in acl.get("Associations") or []
                        if a.get("SubnetId")
                    ],
                    "tags": _tags(acl.get("Tags")),
                }
            )
    return out


_GONE_PEERINGS = frozenset({"deleted", "rejected", "failed", "expired", "deleting"})


def _peerings(run: _Run, ec2: Any) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for page in run.pages(ec2, "describe_vpc_peering_connections"):
        for p in page["VpcPeeringConnections"]:
            status = str((p.get("Status") or {}).get("Code", "active"))
            if status in _GONE_PEERINGS:
                continue
            sides: dict[str, Mapping[str, Any]] = {
                "requester": p.get("RequesterVpcInfo") or {},
                "accepter": p.get("AccepterVpcInfo") or {},
            }
            peering: dict[str, object] = {
                "peering_connection_id": str(p["VpcPeeringConnectionId"]),
                "status": status,
            }
            for side, info in sides.items():
                cidrs = [str(c["CidrBlock"]) for c in info.get("CidrBlockSet") or []]
                if not cidrs and info.get("CidrBlock"):
                    cidrs = [str(info["CidrBlock"])]
                cidrs += [str(c["Ipv6CidrBlock"]) for c in info.get("Ipv6CidrBlockSet") or []]
                peering[f"{side}_vpc_id"] = str(info["VpcId"])
                peering[f"{side}_account_id"] = info.get("OwnerId")
                peering[f"{side}_cidrs"] = cidrs
            out.append(peering)
    return out


def _network_interface(n: Mapping[str, Any]) -> dict[str, object]:
    attachment = n.get("Attachment") or {}
    addresses = n.get("PrivateIpAddresses") or []
    return {
        "eni_id": str(n["NetworkInterfaceId"]),
        "vpc_id": n.get("VpcId"),
        "subnet_id": n.get("SubnetId"),
        "primary_ip": n.get("PrivateIpAddress"),
        "secondary_ips": [str(a["PrivateIpAddress"]) for a in addresses if not a.get("Primary")],
        "prefixes": [str(p["Ipv4Prefix"]) for p in n.get("Ipv4Prefixes") or []],
        "interface_type": str(n.get("InterfaceType") or "interface"),
        "security_group_ids": [str(g["GroupId"]) for g in n.get("Groups") or []],
        "description": n.get("Description") or None,
        "requester_managed": bool(n.get("RequesterManaged", False)),
        "attached_instance_id": attachment.get("InstanceId"),
    }


def _interfaces(
    eni_ids: list[Any], enis: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, object]]:
    """Service interfaces from ENI ids, with the subnet and address DescribeNetwork
    Interfaces gave (null when the ENI was not read)."""
    out: list[dict[str, object]] = []
    for eni_id in eni_ids:
        eni = enis.get(str(eni_id)) or {}
        out.append(
            {
                "eni_id": str(eni_id),
                "subnet_id": eni.get("SubnetId"),
                "address": eni.get("PrivateIpAddress"),
            }
        )
    return out


#: Endpoint types the model has; Resource and ServiceNetwork endpoints (VPC Lattice)
#: are left out.
_ENDPOINT_TYPES = {
    "interface": "Interface",
    "gateway": "Gateway",
    "gatewayloadbalancer": "GatewayLoadBalancer",
}


def _vpc_endpoints(
    run: _Run, ec2: Any, enis: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for page in run.pages(ec2, "describe_vpc_endpoints"):
        for e in page["VpcEndpoints"]:
            kind = _ENDPOINT_TYPES.get(str(e.get("VpcEndpointType", "Interface")).lower())
            state = str(e.get("State", "available")).lower()
            if kind is None or state in ("deleted", "deleting", "rejected", "failed", "expired"):
                continue
            out.append(
                {
                    "vpc_endpoint_id": str(e["VpcEndpointId"]),
                    "vpc_id": str(e["VpcId"]),
                    "service_name": str(e["ServiceName"]),
                    "endpoint_type": kind,
                    "subnet_ids": [str(s) for s in e.get("SubnetIds") or []],
                    "security_group_ids": [str(g["GroupId"]) for g in e.get("Groups") or []],
                    "route_table_ids": [str(r) for r in e.get("RouteTableIds") or []],
                    "interfaces": _interfaces(e.get("NetworkInterfaceIds") or [], enis),
                    "private_dns_enabled": bool(e.get("PrivateDnsEnabled", False)),
                    "policy": _policy(e.get("PolicyDocument")),
                    "state": state,
                }
            )
    return out


# -- AWS services in the VPC: RDS, ElastiCache, EFS


def _rds(run: _Run, region: str) -> list[dict[str, object]]:
    """DB instances. One without a port yet (being created) is left out."""
    rds = run.client("rds", region)
    out: list[dict[str, object]] = []
    for page in run.pages(rds, "describe_db_instances"):
        for d in page["DBInstances"]:
            endpoint = d.get("Endpoint") or {}
            port = endpoint.get("Port") or d.get("DbInstancePort")
            if not port:
                continue
            group = d.get("DBSubnetGroup") or {}
            out.append(
                {
                    "db_instance_id": str(d["DBInstanceIdentifier"]),
                    "engine": str(d["Engine"]),
                    "port": int(port),
                    "vpc_id": group.get("VpcId"),
                    "db_cluster_id": d.get("DBClusterIdentifier"),
                    "subnet_ids": [str(s["SubnetIdentifier"]) for s in group.get("Subnets") or []],
                    "security_group_ids": [
                        str(g["VpcSecurityGroupId"]) for g in d.get("VpcSecurityGroups") or []
                    ],
                    "endpoint_address": endpoint.get("Address"),
                    "publicly_accessible": bool(d.get("PubliclyAccessible", False)),
                }
            )
    return out


#: ElastiCache's default ports, for a cluster that reports none yet.
_CACHE_PORTS = {"redis": 6379, "valkey": 6379, "memcached": 11211}


def _elasticache(run: _Run, region: str) -> list[dict[str, object]]:
    cache = run.client("elasticache", region)

    def subnet_groups() -> dict[str, Mapping[str, Any]]:
        return {
            str(g["CacheSubnetGroupName"]): g
            for page in run.pages(cache, "describe_cache_subnet_groups")
            for g in page["CacheSubnetGroups"]
        }

    clusters = [
        c
        for page in run.pages(cache, "describe_cache_clusters", ShowCacheNodeInfo=True)
        for c in page["CacheClusters"]
    ]
    if not clusters:
        return []
    groups = run.attempt("elasticache", "DescribeCacheSubnetGroups", region, subnet_groups) or {}
    out: list[dict[str, object]] = []
    for c in clusters:
        engine = str(c["Engine"])
        nodes = c.get("CacheNodes") or []
        ports = [
            (n.get("Endpoint") or {}).get("Port")
            for n in nodes
            if (n.get("Endpoint") or {}).get("Port")
        ]
        port = ports[0] if ports else (c.get("ConfigurationEndpoint") or {}).get("Port")
        port = port or _CACHE_PORTS.get(engine)
        if not port:
            continue
        group = groups.get(str(c.get("CacheSubnetGroupName"))) or {}
        out.append(
            {
                "cache_cluster_id": str(c["CacheClusterId"]),
                "engine": engine,
                "port": int(port),
                "vpc_id": group.get("VpcId"),
                "subnet_ids": [str(s["SubnetIdentifier"]) for s in group.get("Subnets") or []],
                "security_group_ids": [
                    str(g["SecurityGroupId"]) for g in c.get("SecurityGroups") or []
                ],
            }
        )
    return out


def _efs(run: _Run, region: str, enis: Mapping[str, Mapping[str, Any]]) -> list[dict[str, object]]:
    """Mount targets with their security groups (DescribeMountTargetSecurityGroups, else
    the groups of the mount target's ENI; a mount target with neither is left out: its
    groups are unknown)."""
    efs = run.client("efs", region)
    out: list[dict[str, object]] = []
    file_systems = [
        str(f["FileSystemId"])
        for page in run.pages(efs, "describe_file_systems")
        for f in page["FileSystems"]
    ]
    for fs in file_systems:

        def targets(f: str = fs) -> list[Mapping[str, Any]]:
            return [
                m
                for page in run.pages(efs, "describe_mount_targets", FileSystemId=f)
                for m in page["MountTargets"]
            ]

        for m in (
            run.attempt("elasticfilesystem", "DescribeMountTargets", region, targets, fs) or []
        ):
            target_id = str(m["MountTargetId"])
            got = run.attempt(
                "elasticfilesystem",
                "DescribeMountTargetSecurityGroups",
                region,
                efs.describe_mount_target_security_groups,
                target_id,
                MountTargetId=target_id,
            )
            eni = enis.get(str(m.get("NetworkInterfaceId"))) or {}
            if got is not None:
                groups = [str(g) for g in got.get("SecurityGroups") or []]
            elif eni:
                groups = [str(g["GroupId"]) for g in eni.get("Groups") or []]
            else:
                continue
            out.append(
                {
                    "mount_target_id": target_id,
                    "file_system_id": str(m["FileSystemId"]),
                    "subnet_id": str(m["SubnetId"]),
                    "address": m.get("IpAddress"),
                    "eni_id": m.get("NetworkInterfaceId"),
                    "security_group_ids": groups,
                }
            )
    return out


_ROUTE_TARGETS = (
    "GatewayId",
    "NatGatewayId",
    "TransitGatewayId",
    "VpcPeeringConnectionId",
    "EgressOnlyInternetGatewayId",
    "NetworkInterfaceId",
    "LocalGatewayId",
    "CarrierGatewayId",
    "CoreNetworkArn",
    "InstanceId",
)


def _route_table(t: Mapping[str, Any]) -> dict[str, object]:
    routes: list[dict[str, object]] = []
    for r in t.get("Routes") or []:
        destination = (
            r.get("DestinationCidrBlock")
            or r.get("DestinationIpv6CidrBlock")
            or r.get("DestinationPrefixListId")
        )
        if not destination:
            continue
        target = next((str(r[k]) for k in _ROUTE_TARGETS if r.get(k)), None)
        routes.append(
            {
                "destination": str(destination),
                "gateway_id": target,
                "state": "blackhole" if r.get("State") == "blackhole" else "active",
            }
        )
    associations = t.get("Associations") or []
    return {
        "route_table_id": str(t["RouteTableId"]),
        "vpc_id": str(t["VpcId"]),
        "main": any(a.get("Main") for a in associations),
        "subnet_ids": [str(a["SubnetId"]) for a in associations if a.get("SubnetId")],
        "routes": routes,
    }


def _instance(i: Mapping[str, Any], profile_roles: Mapping[str, str]) -> dict[str, object]:
    tags = _tags(i.get("Tags"))
    meta = i.get("MetadataOptions") or {}
    profile = (i.get("IamInstanceProfile") or {}).get("Arn")
    cluster = tags.get("eks:cluster-name") or next(
        (
            k.removeprefix("kubernetes.io/cluster/")
            for k, v in tags.items()
            if k.startswith("kubernetes.io/cluster/") and v == "owned"
        ),
        None,
    )
    enis: list[dict[str, object]] = []
    for n in sorted(
        i.get("NetworkInterfaces") or [],
        key=lambda n: (n.get("Attachment") or {}).get("DeviceIndex", 0),
    ):
        attachment = n.get("Attachment") or {}
        addresses = n.get("PrivateIpAddresses") or []
        enis.append(
            {
                "eni_id": str(n["NetworkInterfaceId"]),
                "subnet_id": n.get("SubnetId"),
                "device_index": int(attachment.get("DeviceIndex", 0)),
                "network_card_index": int(attachment.get("NetworkCardIndex", 0)),
                "primary_ip": n.get("PrivateIpAddress"),
                "secondary_ips": [
                    str(a["PrivateIpAddress"]) for a in addresses if not a.get("Primary")
                ],
                "prefixes": [str(p["Ipv4Prefix"]) for p in n.get("Ipv4Prefixes") or []],
                "interface_type": str(n.get("InterfaceType") or "interface"),
                "security_group_ids": [str(g["GroupId"]) for g in n.get("Groups") or []],
            }
        )
    dns = i.get("PrivateDnsName") or None
    out: dict[str, object] = {
        "instance_id": str(i["InstanceId"]),
        "instance_type": str(i["InstanceType"]),
        "subnet_id": str(i["SubnetId"]),
        "availability_zone": (i.get("Placement") or {}).get("AvailabilityZone"),
        "private_ip": i.get("PrivateIpAddress"),
        "private_dns_name": dns,
        "public_ip": i.get("PublicIpAddress"),
        "state": str((i.get("State") or {}).get("Name", "running")),
        # EKS nodes register under their private DNS name by default.
        "node_name": dns if cluster else None,
        "node_group": tags.get("eks:nodegroup-name"),
        "cluster": cluster,
        "instance_profile_role_arn": profile_roles.get(str(profile)) if profile else None,
        "security_group_ids": [str(g["GroupId"]) for g in i.get("SecurityGroups") or []],
        "network_interfaces": enis,
        "tags": tags,
    }
    if meta:
        out["metadata_options"] = {
            "http_tokens": str(meta.get("HttpTokens", "optional")),
            "http_put_response_hop_limit": int(meta.get("HttpPutResponseHopLimit", 1)),
            "http_endpoint": str(meta.get("HttpEndpoint", "enabled")),
        }
    return out


def _ecr(run: _Run, region: str) -> list[dict[str, object]]:
    ecr = run.client("ecr", region)
    out: list[dict[str, object]] = []
    for page in run.pages(ecr, "describe_repositories"):
        for r in page["repositories"]:
            name = str(r["repositoryName"])
            policy = run.attempt(
                "ecr",
                "GetRepositoryPolicy",
                region,
                ecr.get_repository_policy,
                name,
                repositoryName=name,
            )

            def images(n: str = name) -> list[dict[str, object]]:
                return [
                    {
                        "digest": str(d["imageDigest"]),
                        "tags": [str(t) for t in d.get("imageTags") or []],
                        "pushed_at": _utc(d.get("imagePushedAt")),
                    }
                    for ipage in run.pages(ecr, "describe_images", repositoryName=n)
                    for d in ipage["imageDetails"]
                ]

            encryption = r.get("encryptionConfiguration") or {}
            out.append(
                {
                    "name": name,
                    "arn": str(r["repositoryArn"]),
                    "uri": r.get("repositoryUri"),
                    "region": region,
                    "tag_mutability": str(r.get("imageTagMutability", "MUTABLE")),
                    "tag_mutability_exclusion_filters": [
                        str(f["filter"]) for f in r.get("imageTagMutabilityExclusionFilters") or []
                    ],
                    "scan_on_push": bool(
                        (r.get("imageScanningConfiguration") or {}).get("scanOnPush", False)
                    ),
                    "encryption": {
                        "type": str(encryption.get("encryptionType", "AES256")),
                        "kms_key": encryption.get("kmsKey"),
                    },
                    "policy": _policy(policy.get("policyText")) if policy else None,
                    "images": run.section("ecr", region, images),
                }
            )
    return out


def _route53(run: _Run, region: str) -> list[dict[str, object]]:
    r53 = run.client("route53", region)
    out: list[dict[str, object]] = []
    for page in run.pages(r53, "list_hosted_zones"):
        for z in page["HostedZones"]:
            zone_id = str(z["Id"]).removeprefix("/hostedzone/")
            private = bool((z.get("Config") or {}).get("PrivateZone", False))
            vpc_ids: list[str] = []
            if private:
                got = run.attempt(
                    "route53",
                    "GetHostedZone",
                    None,
                    r53.get_hosted_zone,
                    zone_id,
                    Id=zone_id,
                )
                vpc_ids = [str(v["VPCId"]) for v in (got or {}).get("VPCs", [])]

            def records(i: str = zone_id) -> list[dict[str, object]]:
                return [
                    _record(rr)
                    for rpage in run.pages(r53, "list_resource_record_sets", HostedZoneId=i)
                    for rr in rpage["ResourceRecordSets"]
                ]

            out.append(
                {
                    "id": zone_id,
                    "name": _dns_name(str(z["Name"])),
                    "private": private,
                    "vpc_ids": vpc_ids,
                    "records": run.section("route53", None, records),
                }
            )
    return out


def _routing(rr: Mapping[str, Any]) -> dict[str, object]:
    """The routing policy of a record set with a set identifier (only what is set)."""
    out: dict[str, object] = {}
    for key, field_name in (
        ("Weight", "weight"),
        ("Region", "region"),
        ("Failover", "failover"),
        ("HealthCheckId", "health_check_id"),
    ):
        if rr.get(key) is not None:
            out[field_name] = rr[key]
    geo = rr.get("GeoLocation") or {}
    for key, field_name in (
        ("ContinentCode", "geolocation_continent_code"),
        ("CountryCode", "geolocation_country_code"),
        ("SubdivisionCode", "geolocation_subdivision_code"),
    ):
        if geo.get(key):
            out[field_name] = geo[key]
    if rr.get("MultiValueAnswer"):
        out["multi_value_answer"] = True
    return out


def _record(rr: Mapping[str, Any]) -> dict[str, object]:
    alias = rr.get("AliasTarget")
    return {
        "name": _dns_name(str(rr["Name"])),
        "type": str(rr["Type"]),
        "ttl": rr.get("TTL"),
        "values": [str(v["Value"]) for v in rr.get("ResourceRecords") or []],
        "set_identifier": rr.get("SetIdentifier"),
        **_routing(rr),
        "alias_target": {
            "dns_name": str(alias["DNSName"]),
            "hosted_zone_id": str(alias["HostedZoneId"]),
            "evaluate_target_health": bool(alias.get("EvaluateTargetHealth", False)),
        }
        if alias
        else None,
    }


def _kms(run: _Run, region: str) -> list[dict[str, object]]:
    kms = run.client("kms", region)
    aliases: dict[str, list[str]] = {}
    for page in run.pages(kms, "list_aliases"):
        for a in page["Aliases"]:
            if a.get("TargetKeyId"):
                aliases.setdefault(str(a["TargetKeyId"]), []).append(str(a["AliasName"]))
    out: list[dict[str, object]] = []
    for page in run.pages(kms, "list_keys"):
        for k in page["Keys"]:
            key_id = str(k["KeyId"])
            got = run.attempt("kms", "DescribeKey", region, kms.describe_key, key_id, KeyId=key_id)
            if got is None:
                continue
            m = got["KeyMetadata"]
            policy = run.attempt(
                "kms",
                "GetKeyPolicy",
                region,
                kms.get_key_policy,
                key_id,
                KeyId=key_id,
                PolicyName="default",
            )
            rotation = None
            if m.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT":
                rotation = run.attempt(
                    "kms",
                    "GetKeyRotationStatus",
                    region,
                    kms.get_key_rotation_status,
                    key_id,
                    KeyId=key_id,
                )
            key: dict[str, object] = {
                "key_id": key_id,
                "arn": str(m["Arn"]),
                "region": region,
                "description": str(m.get("Description", "")),
                "key_state": str(m.get("KeyState", "Enabled")),
                "key_manager": str(m.get("KeyManager", "CUSTOMER")),
                "key_spec": str(m.get("KeySpec", "SYMMETRIC_DEFAULT")),
                "key_usage": str(m.get("KeyUsage", "ENCRYPT_DECRYPT")),
                "rotation_enabled": bool((rotation or {}).get("KeyRotationEnabled", False)),
                "aliases": sorted(aliases.get(key_id, [])),
            }
            document = _policy((policy or {}).get("Policy"))
            if document is not None:
                key["policy"] = document
            out.append(key)
    return out


def _elbv2(run: _Run, region: str) -> list[dict[str, object]]:
    elb = run.client("elbv2", region)
    lbs = [lb for page in run.pages(elb, "describe_load_balancers") for lb in page["LoadBalancers"]]
    tags: dict[str, dict[str, str]] = {}
    arns = [str(lb["LoadBalancerArn"]) for lb in lbs]
    for start in range(0, len(arns), 20):  # DescribeTags takes at most 20 ARNs
        chunk = arns[start : start + 20]
        got = run.attempt(
            "elasticloadbalancing",
            "DescribeTags",
            region,
            elb.describe_tags,
            None,
            ResourceArns=chunk,
        )
        for d in (got or {}).get("TagDescriptions", []):
            tags[str(d["ResourceArn"])] = _tags(d.get("Tags"))
    out: list[dict[str, object]] = []
    for lb in lbs:
        arn = str(lb["LoadBalancerArn"])

        def listeners(a: str = arn) -> list[dict[str, object]]:
            return [
                _listener(run, elb, region, listener)
                for lpage in run.pages(elb, "describe_listeners", LoadBalancerArn=a)
                for listener in lpage["Listeners"]
            ]

        out.append(
            {
                "arn": arn,
                "name": str(lb["LoadBalancerName"]),
                "dns_name": lb.get("DNSName"),
                "canonical_hosted_zone_id": lb.get("CanonicalHostedZoneId"),
                "scheme": str(lb.get("Scheme", "internet-facing")),
                "type": str(lb.get("Type", "application")),
                "vpc_id": lb.get("VpcId"),
                "subnet_ids": [
                    str(z["SubnetId"])
                    for z in lb.get("AvailabilityZones") or []
                    if z.get("SubnetId")
                ],
                "security_groups": [str(g) for g in lb.get("SecurityGroups") or []],
                "tags": tags.get(arn, {}),
                "listeners": run.section("elasticloadbalancing", region, listeners),
            }
        )
    return out


def _listener(run: _Run, elb: Any, region: str, listener: Mapping[str, Any]) -> dict[str, object]:
    arn = str(listener["ListenerArn"])

    def rules() -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        for page in run.pages(elb, "describe_rules", ListenerArn=arn):
            for r in page["Rules"]:
                if r.get("IsDefault") or r.get("Priority") == "default":
                    continue  # the listener's default actions, written there
                out.append(
                    {
                        "priority": int(r["Priority"]),
                        "conditions": [
                            {k: v for k, v in c.items() if k != "Values" or v}
                            for c in r.get("Conditions") or []
                        ],
                        "actions": list(r.get("Actions") or []),
                    }
                )
        return sorted(out, key=lambda r: int(str(r["priority"])))

    return {
        "port": int(listener["Port"]),
        "protocol": str(listener["Protocol"]),
        "certificates": [str(c["CertificateArn"]) for c in listener.get("Certificates") or []],
        "ssl_policy": listener.get("SslPolicy"),
        "default_actions": list(listener.get("DefaultActions") or []),
        "rules": run.section("elasticloadbalancing", region, rules),
    }


# ---------------------------------------------------------------------------
# the whole account


def _session(options: AwsCollectOptions) -> Any:
    try:
        boto3 = importlib.import_module("boto3")
    except ModuleNotFoundError as exc:
        raise ConfigError(
            "ekstwin collect aws needs boto3 - install it with 'pip install boto3'"
        ) from exc
    try:
        return boto3.session.Session(profile_name=options.profile)
    except Exception as exc:  # botocore's ProfileNotFound and friends
        raise ConfigError(f"cannot open the AWS profile {options.profile!r}: {exc}") from exc


def collect_aws(
    options: AwsCollectOptions,
    *,
    session: Any = None,
    progress: Progress | None = None,
    notice: Notice | None = None,
    now: Callable[[], datetime] | None = None,
) -> AwsCollection:
    """Collect the account the session's credentials belong to.

    ``session`` is a ``boto3.session.Session`` (one is made from ``options``
    when None). Raises :class:`ConfigError` when no region is known or the
    credentials cannot even name their account; everything after that is
    collected forgivingly.
    """
    session = session if session is not None else _session(options)
    regions = options.regions or ((session.region_name,) if session.region_name else ())
    if not regions:
        raise ConfigError("no AWS region: pass --region or set AWS_REGION / a profile region")
    run = _Run(options, session, progress, notice)
    home = regions[0]
    steps: list[str] = ["iam", "route53"]
    for region in regions:
        steps.extend(
            f"{s} {region}"
            for s in ("eks", "ec2", "ecr", "kms", "elbv2", "rds", "elasticache", "efs")
        )
    total = len(steps) + 1

    def tick(step: str, done: int) -> None:
        if progress is not None:
            progress(step, done, total)

    tick("identity", 0)
    try:
        account_id, partition = _identity(run, home)
    except (*run._errors, *_SHAPE_ERRORS) as exc:
        raise ConfigError(
            f"cannot identify the AWS account (sts:GetCallerIdentity): {exc}"
        ) from exc
    account: dict[str, object] = {"id": account_id, "partition": partition}
    alias = _account_alias(run, home)
    if alias:
        account["alias"] = alias
    tick("iam", 1)
    iam, aws_managed, profile_roles = _iam(run, home)
    tick("route53", 2)
    zones = run.section("route53", None, _route53, run, home)
    clusters: list[dict[str, object]] = []
    ec2: dict[str, list[object]] = {}
    repositories: list[dict[str, object]] = []
    keys: list[dict[str, object]] = []
    load_balancers: list[dict[str, object]] = []
    db_instances: list[dict[str, object]] = []
    cache_clusters: list[dict[str, object]] = []
    mount_targets: list[dict[str, object]] = []
    done = 3
    for region in regions:
        tick(f"eks {region}", done)
        clusters.extend(run.section("eks", region, _eks, run, region))
        tick(f"ec2 {region}", done + 1)
        enis: dict[str, Mapping[str, Any]] = {}
        for key, items in _ec2(run, region, profile_roles, enis).items():
            assert isinstance(items, list)
            ec2.setdefault(key, []).extend(items)
        tick(f"ecr {region}", done + 2)
        repositories.extend(run.section("ecr", region, _ecr, run, region))
        tick(f"kms {region}", done + 3)
        keys.extend(run.section("kms", region, _kms, run, region))
        tick(f"elbv2 {region}", done + 4)
        load_balancers.extend(run.section("elasticloadbalancing", region, _elbv2, run, region))
        tick(f"rds {region}", done + 5)
        db_instances.extend(run.section("rds", region, _rds, run, region))
        tick(f"elasticache {region}", done + 6)
        cache_clusters.extend(run.section("elasticache", region, _elasticache, run, region))
        tick(f"efs {region}", done + 7)
        mount_targets.extend(run.section("elasticfilesystem", region, _efs, run, region, enis))
        done += 8
    account.update(
        {
            "eks": {"clusters": clusters},
            "ec2": ec2,
            "iam": iam,
            "ecr": {"repositories": repositories},
            "route53": {"hosted_zones": zones},
            "kms": {"keys": keys},
            "elbv2": {"load_balancers": load_balancers},
            "rds": {"db_instances": db_instances},
            "elasticache": {"cache_clusters": cache_clusters},
            "efs": {"mount_targets": mount_targets},
        }
    )
    managed = run.section("iam", None, _aws_managed, run, home, aws_managed) if aws_managed else []
    tick("done", total)
    stamp = (now or (lambda: datetime.now(UTC)))()
    document: dict[str, object] = {
        "format": "ekstwin-aws",
        "version": 1,
        "generated_by": "ekstwin collect aws",
        "generated_at": _utc(stamp),
        "aws_managed_policies": managed,
        "accounts": [account],
        "collector": {
            "regions": list(regions),
            "reads": run.reads,
            "failed_reads": len(run.issues),
            "diagnostics": [i.to_json() for i in run.issues],
        },
    }
    return AwsCollection(document, tuple(run.issues), run.reads, len(run.issues))
