"""The ``ekstwin iam evaluate`` input format: one request and its policies.

```
{"policies": {"identity": [doc, ...], "permissions_boundary": doc|null,
              "session_policy": doc|null, "scps": null|[[doc, ...] per level],
              "rcps": null|[[doc, ...] per level of the resource owner],
              "resource_policy": null|{"owner_account": "...", "policy": doc},
              "trust_policy": doc|null, "vpc_endpoint_policy": doc|null,
              "s3_block_public_access": {"restrict_public_buckets": bool}},
 "request": {"principal": {"type": ..., "arn": ..., "account": ..., ...},
             "action": "s3:GetObject", "resource": "arn:...", "context": {...}}}
```

Case files of the test suite add ``description`` and ``expected`` (the
whole output), and the conformance suites ``name``, ``cite``, ``expect`` and
``disagrees``; all are ignored here. Policies are named in decisions by
where they sit: ``identity[0]``, ``permissions_boundary``, ``session_policy``,
``scps[1][0]``, ``rcps[0][0]``, ``resource_policy``, ``trust_policy``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ekstwin.engines.iam.evaluate import (
    PolicySet,
    Principal,
    PrincipalType,
    Request,
    ResourcePolicy,
)
from ekstwin.engines.iam.policy import Policy, parse_policy
from ekstwin.errors import SchemaError

__all__ = ["parse_case"]

#: keys of the case suites (description, expectation, citation) that a decision ignores
_TOP = frozenset(
    {
        "policies",
        "request",
        "description",
        "expected",
        "reference",
        "name",
        "cite",
        "expect",
        "disagrees",
    }
)
_POLICY_KEYS = frozenset(
    {
        "identity",
        "permissions_boundary",
        "session_policy",
        "scps",
        "rcps",
        "resource_policy",
        "trust_policy",
        "vpc_endpoint_policy",
        "s3_block_public_access",
    }
)
#: Multivalued global condition keys (IAM User Guide, "AWS global condition
#: context keys", value type Multivalued); every other aws: key holds at most
#: one value in a request, so a list of several is an input error.
MULTIVALUED_KEYS = frozenset(
    {
        "aws:calledvia",
        "aws:principalorgpaths",
        "aws:principalservicenameslist",
        "aws:resourceorgpaths",
        "aws:tagkeys",
    }
)
_PRINCIPAL_KEYS = frozenset(
    {"type", "arn", "account", "session_arn", "federated", "issuer_url", "service"}
)


def _object(value: object, path: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise SchemaError(f"{path} must be an object", path=path)
    return value


def _optional_policy(value: object, name: str) -> Policy | None:
    return None if value is None else parse_policy(value, name)


def _levels(raw: object, name: str) -> tuple[tuple[Policy, ...], ...] | None:
    """``scps`` or ``rcps``: null, or one list of documents per level (root first)."""
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(level, list) for level in raw):
        raise SchemaError(f"$.policies.{name} must be a list of lists", path=f"$.policies.{name}")
    return tuple(
        tuple(parse_policy(d, f"{name}[{i}][{j}]") for j, d in enumerate(level))
        for i, level in enumerate(raw)
    )


def _str(data: Mapping[str, object], key: str, path: str, *, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise SchemaError(f"{path}.{key} must be a string", path=f"{path}.{key}")
    return value


def parse_case(data: object) -> tuple[Request, PolicySet]:
    """Read an evaluate file's JSON; a mistake raises SchemaError or PolicyError."""
    top = _object(data, "$")
    unknown = sorted(set(top) - _TOP)
    if unknown:
        raise SchemaError(f"unknown key(s) {', '.join(unknown)}", path="$")
    pol = _object(top.get("policies", {}), "$.policies")
    unknown = sorted(set(pol) - _POLICY_KEYS)
    if unknown:
        raise SchemaError(f"unknown key(s) in policies: {', '.join(unknown)}", path="$.policies")
    identity_raw = pol.get("identity") or []
    if not isinstance(identity_raw, list):
        raise SchemaError("$.policies.identity must be a list", path="$.policies.identity")
    identity = tuple(parse_policy(d, f"identity[{i}]") for i, d in enumerate(identity_raw))
    scps = _levels(pol.get("scps"), "scps")
    rcps = _levels(pol.get("rcps"), "rcps")
    resource: ResourcePolicy | None = None
    rp_raw = pol.get("resource_policy")
    if rp_raw is not None:
        rp = _object(rp_raw, "$.policies.resource_policy")
        owner = _str(rp, "owner_account", "$.policies.resource_policy")
        assert owner is not None
        resource = ResourcePolicy(owner, parse_policy(rp.get("policy"), "resource_policy"))
    bpa = _object(pol.get("s3_block_public_access") or {}, "$.policies.s3_block_public_access")
    restrict = bpa.get("restrict_public_buckets", False)
    if not isinstance(restrict, bool):
        raise SchemaError(
            "$.policies.s3_block_public_access.restrict_public_buckets must be true or false",
            path="$.policies.s3_block_public_access.restrict_public_buckets",
        )
    policies = PolicySet(
        identity=identity,
        permissions_boundary=_optional_policy(
            pol.get("permissions_boundary"), "permissions_boundary"
        ),
        session_policy=_optional_policy(pol.get("session_policy"), "session_policy"),
        scps=scps,
        rcps=rcps,
        resource_policy=resource,
        trust_policy=_optional_policy(pol.get("trust_policy"), "trust_policy"),
        vpc_endpoint_policy=_optional_policy(pol.get("vpc_endpoint_policy"), "vpc_endpoint_policy"),
        restrict_public_buckets=restrict,
    )

    req = _object(top.get("request"), "$.request")
    pr = _object(req.get("principal"), "$.request.principal")
    unknown = sorted(set(pr) - _PRINCIPAL_KEYS)
    if unknown:
        raise SchemaError(
            f"unknown key(s) in principal: {', '.join(unknown)}", path="$.request.principal"
        )
    kind = _str(pr, "type", "$.request.principal") or ""
    try:
        ptype = PrincipalType(kind)
    except ValueError as exc:
        choices = ", ".join(t.value for t in PrincipalType)
        raise SchemaError(
            f"$.request.principal.type {kind!r} is not one of {choices}",
            path="$.request.principal.type",
        ) from exc
    principal = Principal(
        type=ptype,
        arn=_str(pr, "arn", "$.request.principal", required=False) or "",
        account=_str(pr, "account", "$.request.principal", required=ptype.is_iam) or "",
        session_arn=_str(pr, "session_arn", "$.request.principal", required=False),
        federated=_str(
            pr, "federated", "$.request.principal", required=ptype is PrincipalType.WEB_IDENTITY
        ),
        issuer_url=_str(pr, "issuer_url", "$.request.principal", required=False),
        service=_str(pr, "service", "$.request.principal", required=ptype is PrincipalType.SERVICE),
    )
    if (
        principal.type is PrincipalType.WEB_IDENTITY
        and not principal.account
        and principal.federated
    ):
        parts = principal.federated.split(":", 5)
        if len(parts) == 6:
            principal = Principal(
                principal.type,
                principal.arn,
                parts[4],
                principal.session_arn,
                principal.federated,
                principal.issuer_url,
                principal.service,
            )
    context_raw = req.get("context") or {}
    context = _object(context_raw, "$.request.context")
    for key, value in context.items():
        lowered = str(key).lower()
        if (
            isinstance(value, list)
            and len(value) > 1
            and lowered.startswith("aws:")
            and lowered not in MULTIVALUED_KEYS
        ):
            raise SchemaError(
                f"the key is single-valued in AWS but has {len(value)} values - "
                "give one value (only aws:TagKeys, aws:CalledVia, aws:PrincipalOrgPaths, "
                "aws:ResourceOrgPaths and aws:PrincipalServiceNamesList take several)",
                path=f"$.request.context.{key}",
            )
    request = Request(
        principal=principal,
        action=_str(req, "action", "$.request") or "",
        resource=_str(req, "resource", "$.request") or "",
        context=Request.make_context(context),
    )
    return request, policies
