"""Typed, parsed IAM policy documents.

:func:`parse_policy` turns a document as written (``dict``) into a
:class:`Policy` of :class:`Statement` objects, checking the grammar: a
malformed document raises :class:`PolicyError` naming the policy and the JSON
path of the mistake, never a ``KeyError``. Values are normalised once here
(single strings become tuples, actions are lower-cased, exact and wildcard
patterns are split) so evaluation does no parsing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from ekstwin.engines.iam.patterns import action_regex, has_variable, has_wildcard, resource_regex
from ekstwin.errors import ModelError

__all__ = [
    "Condition",
    "Effect",
    "Policy",
    "PolicyError",
    "PrincipalSpec",
    "Statement",
    "date_seconds",
    "decimal",
    "parse_policy",
]

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def decimal(text: str) -> float | None:
    """A Numeric operator's value (an integer or a decimal), or None."""
    stripped = text.strip()  # str.strip() also takes separators float() refuses (\x1f)
    if not _DECIMAL.fullmatch(stripped):
        return None
    return float(stripped)


def date_seconds(text: str) -> float | None:
    """A Date operator's value in seconds since the epoch, or None when it is no date.

    AWS takes ISO 8601 (``2020-01-01T00:00:00Z``, a date alone) or epoch
    (UNIX) time. Epoch numbers are seconds whatever their size, so
    ``1704067200000`` is a date far in the future, not an error; ``nan`` and
    ``inf`` are not dates.
    """
    number = decimal(text)
    if number is not None:
        return number if math.isfinite(number) else None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.timestamp()
    except (OverflowError, ValueError):  # pragma: no cover - years 1..9999 all fit
        return None


class PolicyError(ModelError):
    """A policy document that does not follow the IAM policy grammar."""

    def __init__(self, message: str, *, policy: str, path: str) -> None:
        super().__init__(f"policy {policy}: {path}: {message}")
        self.policy = policy
        self.path = path
        self.reason = message


class Effect(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


@dataclass(frozen=True, slots=True)
class Patterns:
    """Values of Action/Resource: exact ones in a set, wildcard ones kept apart.

    ``variables`` holds the patterns with ``${...}`` policy variables, resolved
    per request. Only a policy of Version 2012-10-17 has variables: in an older
    policy, or one without a Version, ``${aws:username}`` is literal text (IAM
    User Guide, "IAM JSON policy elements: Version").
    """

    exact: frozenset[str]
    wildcards: tuple[str, ...]
    variables: tuple[str, ...]
    any: bool
    written: tuple[str, ...]
    wildcard_regex: re.Pattern[str] | None = None  # all wildcards, precompiled as one


@dataclass(frozen=True, slots=True)
class PrincipalSpec:
    """A Principal or NotPrincipal element: ``"*"`` or values per type."""

    any: bool = False
    aws: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    canonical_user: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Condition:
    """One operator and key with its values: ``ForAnyValue:StringLike`` on ``aws:TagKeys``."""

    operator: str  # as written
    base: str  # operator without qualifier and IfExists, e.g. "StringLike"
    qualifier: str | None  # "ForAllValues", "ForAnyValue" or None
    if_exists: bool
    key: str  # lower-cased
    key_written: str
    values: tuple[str, ...]
    #: whether ``${...}`` in the values are policy variables (Version 2012-10-17)
    variables: bool = True


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    sid: str | None
    effect: Effect
    actions: Patterns | None
    not_actions: Patterns | None
    resources: Patterns | None  # None with not_resources None: no Resource element (trust)
    not_resources: Patterns | None
    principal: PrincipalSpec | None
    not_principal: PrincipalSpec | None
    conditions: tuple[Condition, ...]

    @property
    def label(self) -> str:
        return self.sid if self.sid else f"Statement[{self.index}]"


@dataclass(frozen=True, slots=True)
class Policy:
    """A parsed policy document; ``name`` says which policy it is in messages."""

    name: str
    statements: tuple[Statement, ...]
    version: str | None = None


_OPERATORS = frozenset(
    {
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
        "Null",
    }
)
_STATEMENT_KEYS = frozenset(
    {
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Principal",
        "NotPrincipal",
        "Condition",
    }
)


def _strings(
    value: object, *, policy: str, path: str, allow_scalars: bool = False
) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if allow_scalars and isinstance(value, bool):
        return ("true" if value else "false",)
    if allow_scalars and isinstance(value, int | float):
        return (str(value),)
    if isinstance(value, list):
        out: list[str] = []
        for i, item in enumerate(value):
            out.extend(
                _strings(item, policy=policy, path=f"{path}[{i}]", allow_scalars=allow_scalars)
            )
        if not out:
            raise PolicyError("must not be an empty list", policy=policy, path=path)
        return tuple(out)
    raise PolicyError(
        f"must be a string or a list of strings, got {type(value).__name__}",
        policy=policy,
        path=path,
    )


def _patterns(values: tuple[str, ...], *, lower: bool, variables_on: bool = True) -> Patterns:
    exact: set[str] = set()
    wild: list[str] = []
    variables: list[str] = []
    for v in values:
        text = v.lower() if lower else v
        if variables_on and has_variable(text):
            variables.append(text)
        elif has_wildcard(text):
            wild.append(text)
        else:
            exact.add(text)
    to_regex = action_regex if lower else resource_regex
    combined = re.compile("|".join(f"(?:{to_regex(w)})" for w in wild), re.DOTALL) if wild else None
    return Patterns(
        exact=frozenset(exact),
        wildcards=tuple(wild),
        variables=tuple(variables),
        any="*" in wild,
        written=values,
        wildcard_regex=combined,
    )


def _actions(value: object, *, policy: str, path: str) -> Patterns:
    values = _strings(value, policy=policy, path=path)
    for i, v in enumerate(values):
        if v != "*" and ":" not in v:
            raise PolicyError(
                f"action {v!r} is not of the form service:Action",
                policy=policy,
                path=f"{path}[{i}]" if len(values) > 1 else path,
            )
    return _patterns(values, lower=True, variables_on=False)


def _principal(value: object, *, policy: str, path: str) -> PrincipalSpec:
    if value == "*":
        return PrincipalSpec(any=True)
    if not isinstance(value, Mapping):
        raise PolicyError(
            'must be "*" or an object such as {"AWS": [...]}', policy=policy, path=path
        )
    aws: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    canonical: tuple[str, ...] = ()
    for key, item in value.items():
        values = _strings(item, policy=policy, path=f"{path}.{key}")
        if key == "AWS":
            aws = values
        elif key == "Federated":
            federated = values
        elif key == "Service":
            service = values
        elif key == "CanonicalUser":
            canonical = values
        else:
            raise PolicyError(
                f"unknown principal type {key!r} (AWS, Federated, Service or CanonicalUser)",
                policy=policy,
                path=path,
            )
    return PrincipalSpec(False, aws, federated, service, canonical)


def _split_operator(operator: str, *, policy: str, path: str) -> tuple[str | None, str, bool]:
    qualifier: str | None = None
    base = operator
    if ":" in operator:
        qualifier, _, base = operator.partition(":")
        if qualifier not in ("ForAllValues", "ForAnyValue"):
            raise PolicyError(
                f"unknown set operator {qualifier!r} (ForAllValues or ForAnyValue)",
                policy=policy,
                path=path,
            )
    if_exists = base.endswith("IfExists")
    if if_exists:
        base = base[: -len("IfExists")]
        if base == "Null":
            raise PolicyError("Null cannot take IfExists", policy=policy, path=path)
    if base not in _OPERATORS:
        raise PolicyError(f"unknown condition operator {operator!r}", policy=policy, path=path)
    return qualifier, base, if_exists


def _conditions(value: object, *, policy: str, path: str, variables: bool) -> tuple[Condition, ...]:
    if not isinstance(value, Mapping):
        raise PolicyError("must be an object of operators", policy=policy, path=path)
    out: list[Condition] = []
    for operator, block in value.items():
        op_path = f"{path}.{operator}"
        qualifier, base, if_exists = _split_operator(str(operator), policy=policy, path=op_path)
        if not isinstance(block, Mapping):
            raise PolicyError("must be an object of condition keys", policy=policy, path=op_path)
        for key, raw in block.items():
            values = _strings(raw, policy=policy, path=f"{op_path}.{key}", allow_scalars=True)
            if base == "Null" and any(v.lower() not in ("true", "false") for v in values):
                raise PolicyError(
                    "Null takes true or false", policy=policy, path=f"{op_path}.{key}"
                )
            _check_values(base, values, policy=policy, path=f"{op_path}.{key}")
            out.append(
                Condition(
                    str(operator),
                    base,
                    qualifier,
                    if_exists,
                    str(key).lower(),
                    str(key),
                    values,
                    variables,
                )
            )
    return tuple(out)


def _check_values(base: str, values: tuple[str, ...], *, policy: str, path: str) -> None:
    """Date and Numeric operators take values of their type (no variables there)."""
    for value in values:
        if base.startswith("Date") and date_seconds(value) is None:
            raise PolicyError(
                f"{value!r} is not a date: write ISO 8601 (2024-01-01T00:00:00Z) or epoch seconds",
                policy=policy,
                path=path,
            )
        if base.startswith("Numeric") and decimal(value) is None:
            raise PolicyError(
                f"{value!r} is not a number (an integer or a decimal)", policy=policy, path=path
            )


def _statement(
    raw: object, index: int, *, policy: str, path: str, variables: bool = True
) -> Statement:
    if not isinstance(raw, Mapping):
        raise PolicyError("a statement must be an object", policy=policy, path=path)
    unknown = sorted(set(raw) - _STATEMENT_KEYS)
    if unknown:
        raise PolicyError(f"unknown element(s) {', '.join(unknown)}", policy=policy, path=path)
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(
            f"Effect must be 'Allow' or 'Deny', got {effect!r}",
            policy=policy,
            path=f"{path}.Effect",
        )
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyError("Sid must be a string", policy=policy, path=f"{path}.Sid")
    for a, b in (
        ("Action", "NotAction"),
        ("Resource", "NotResource"),
        ("Principal", "NotPrincipal"),
    ):
        if a in raw and b in raw:
            raise PolicyError(f"has both {a} and {b}", policy=policy, path=path)
    if "Action" not in raw and "NotAction" not in raw:
        raise PolicyError("needs Action or NotAction", policy=policy, path=path)
    return Statement(
        index=index,
        sid=sid,
        effect=Effect(effect),
        actions=_actions(raw["Action"], policy=policy, path=f"{path}.Action")
        if "Action" in raw
        else None,
        not_actions=_actions(raw["NotAction"], policy=policy, path=f"{path}.NotAction")
        if "NotAction" in raw
        else None,
        resources=_patterns(
            _strings(raw["Resource"], policy=policy, path=f"{path}.Resource"),
            lower=False,
            variables_on=variables,
        )
        if "Resource" in raw
        else None,
        not_resources=_patterns(
            _strings(raw["NotResource"], policy=policy, path=f"{path}.NotResource"),
            lower=False,
            variables_on=variables,
        )
        if "NotResource" in raw
        else None,
        principal=_principal(raw["Principal"], policy=policy, path=f"{path}.Principal")
        if "Principal" in raw
        else None,
        not_principal=_principal(raw["NotPrincipal"], policy=policy, path=f"{path}.NotPrincipal")
        if "NotPrincipal" in raw
        else None,
        conditions=_conditions(
            raw["Condition"], policy=policy, path=f"{path}.Condition", variables=variables
        )
        if "Condition" in raw
        else (),
    )


def parse_policy(document: object, name: str) -> Policy:
    """Parse a policy document; ``name`` labels it in errors and decisions."""
    if not isinstance(document, Mapping):
        raise PolicyError(
            f"a policy document must be an object, got {type(document).__name__}",
            policy=name,
            path="$",
        )
    unknown = sorted(set(document) - {"Version", "Id", "Statement"})
    if unknown:
        raise PolicyError(f"unknown element(s) {', '.join(unknown)}", policy=name, path="$")
    version = document.get("Version")
    if version is not None and version not in ("2012-10-17", "2008-10-17"):
        raise PolicyError(
            f"Version must be 2012-10-17 or 2008-10-17, got {version!r}",
            policy=name,
            path="$.Version",
        )
    if "Statement" not in document:
        raise PolicyError("missing Statement", policy=name, path="$")
    raw = document["Statement"]
    items = raw if isinstance(raw, list) else [raw]
    statements = tuple(
        _statement(
            item,
            i,
            policy=name,
            path=f"$.Statement[{i}]" if isinstance(raw, list) else "$.Statement",
            variables=version == "2012-10-17",
        )
        for i, item in enumerate(items)
    )
    return Policy(
        name=name, statements=statements, version=version if isinstance(version, str) else None
    )
