"""Condition operators, with AWS's rules for absent keys and multivalued keys.

* Several conditions in a block AND together; several policy values of one
  condition OR together (negated operators: the value must differ from all).
* An absent key makes a positive operator false and a negated one true;
  ``...IfExists`` makes any operator true on an absent key; ``Null`` tests
  presence itself.
* ``ForAllValues``: every request value must match (true when the request
  has no value at all); ``ForAnyValue``: at least one must (false when absent).
* Without a set qualifier a multivalued request key matches when any of its
  values does (a negated operator: when none does).
* Policy variables (string and ARN operators only, Version 2012-10-17): a
  variable whose key is missing makes the comparison fail. A positive
  operator then has one value fewer to match; a negated operator is false,
  so the statement does not match ("IAM policy elements: Variables and tags":
  any attempt to match a value that is not present fails).
* Dates are ISO 8601 or epoch seconds; both are compared as seconds since the
  epoch, so any size of number has an answer. A request value that is not a
  date or number (``nan``, ``inf``, text) equals and orders against nothing;
  a policy value that is not one is refused when the policy is parsed.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable, Mapping

from ekstwin.engines.iam.patterns import (
    Chunks,
    PatternCache,
    has_variable,
    joined,
    literal,
    resolve,
)
from ekstwin.engines.iam.policy import Condition, date_seconds, decimal

Context = Mapping[str, tuple[str, ...]]

#: negated operator -> its positive twin
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}
_VARIABLE_OPERATORS = frozenset(
    {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"}
)


def _ip_in(network: str, address: str) -> bool:
    try:
        net = ipaddress.ip_network(network, strict=False)
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return ip.version == net.version and ip in net


def _binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _compare_numbers(op: str, have: str, want: str) -> bool:
    a, b = decimal(have), decimal(want)
    if a is None or b is None:
        return False
    return _ORDER[op](a, b)


def _compare_dates(op: str, have: str, want: str) -> bool:
    a, b = date_seconds(have), date_seconds(want)
    if a is None or b is None:
        return False
    return _ORDER[op](a, b)


_ORDER: dict[str, Callable[[object, object], bool]] = {
    "Equals": lambda a, b: a == b,
    "LessThan": lambda a, b: a < b,  # type: ignore[operator]
    "LessThanEquals": lambda a, b: a <= b,  # type: ignore[operator]
    "GreaterThan": lambda a, b: a > b,  # type: ignore[operator]
    "GreaterThanEquals": lambda a, b: a >= b,  # type: ignore[operator]
}


def _positive_match(base: str, have: str, want: Chunks, cache: PatternCache) -> bool:
    """Does one request value match one policy value under a positive operator?"""
    if base == "StringEquals":
        return have == joined(want)
    if base == "StringEqualsIgnoreCase":
        return have.lower() == joined(want).lower()
    if base == "StringLike":
        return cache.like(want, have)
    if base in ("ArnEquals", "ArnLike"):
        return cache.arn_like(want, have)
    text = joined(want)
    if base.startswith("Numeric"):
        return _compare_numbers(base.removeprefix("Numeric"), have, text)
    if base.startswith("Date"):
        return _compare_dates(base.removeprefix("Date"), have, text)
    if base == "Bool":
        return have.lower() == text.lower()
    if base == "BinaryEquals":
        a, b = _binary(have), _binary(text)
        return a is not None and a == b
    if base == "IpAddress":
        return _ip_in(text, have)
    raise AssertionError(f"unhandled operator {base}")  # pragma: no cover


def _wants(cond: Condition, positive: str, context: Context) -> tuple[list[Chunks], bool]:
    """The policy values with their variables resolved, and whether one could not be."""
    wants: list[Chunks] = []
    unresolved = False
    for v in cond.values:
        if cond.variables and positive in _VARIABLE_OPERATORS and has_variable(v):
            chunks = resolve(v, context)
            if chunks is None:
                unresolved = True
            else:
                wants.append(chunks)
        else:
            wants.append(literal(v))
    return wants, unresolved


def condition_holds(cond: Condition, context: Context, cache: PatternCache) -> bool:
    present = context.get(cond.key)
    if cond.base == "Null":
        absent = not present
        return any((v.lower() == "true") == absent for v in cond.values)
    positive = _NEGATED.get(cond.base, cond.base)
    negated = positive != cond.base
    if not present:
        if cond.if_exists:
            return True
        if cond.qualifier == "ForAllValues":
            return True
        if cond.qualifier == "ForAnyValue":
            return False
        return negated and not _wants(cond, positive, context)[1]
    wants, unresolved = _wants(cond, positive, context)
    if negated and unresolved:
        return False

    def value_ok(have: str) -> bool:
        hit = any(_positive_match(positive, have, w, cache) for w in wants)
        return not hit if negated else hit

    if cond.qualifier == "ForAllValues":
        return all(value_ok(h) for h in present)
    if cond.qualifier == "ForAnyValue":
        return any(value_ok(h) for h in present)
    if negated:
        return not any(any(_positive_match(positive, h, w, cache) for w in wants) for h in present)
    return any(value_ok(h) for h in present)


def conditions_hold(
    conditions: tuple[Condition, ...], context: Context, cache: PatternCache
) -> bool:
    return all(condition_holds(c, context, cache) for c in conditions)
