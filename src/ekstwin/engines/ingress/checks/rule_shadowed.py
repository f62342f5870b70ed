"""ING002."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.ingress import Condition, Rule
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform

_PLAIN = ("host-header", "path-pattern")


def _values(rule: Rule, field: str) -> list[str] | None:
    conds = [c for c in rule.conditions if c.field == field]
    if not conds:
        return None
    return [v for c in conds for v in c.values]


def _covers(pattern: str, value: str, *, fold: bool) -> bool:
    if fold:
        pattern, value = pattern.lower(), value.lower()
    if pattern == value:
        return True
    # A value with wildcards is covered when the pattern matches it read literally.
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def _only_plain(conds: tuple[Condition, ...]) -> bool:
    return all(c.field in _PLAIN and not c.regex for c in conds)


def shadows(earlier: Rule, later: Rule) -> bool:
    """Does every request ``later`` matches also match ``earlier``?"""
    if not _only_plain(earlier.conditions) or not _only_plain(later.conditions):
        return False
    for field, fold in (("host-header", True), ("path-pattern", False)):
        e = _values(earlier, field)
        if e is None:
            continue
        lv = _values(later, field)
        if lv is None:
            return False
        if not all(any(_covers(p, v, fold=fold) for p in e) for v in lv):
            return False
    return True


class RuleShadowed(Check):
    """
    ## What it does
    Builds each ALB's listener rules in the controller's order (members by
    `group.order` then namespace/name; within one `spec.rules[]` entry Exact
    paths, then Prefix paths longest first, then ImplementationSpecific) and
    finds a rule that can never match because an earlier rule of the same
    listener matches every request it would (same or wider hosts, covering
    path patterns).

    ## Why is this bad?
    The ALB takes the first matching rule by priority. A catch-all `/*` from
    a member with a low `group.order`, or a `Prefix /` written before a more
    specific path in another rule entry, silently swallows the traffic meant
    for the later rule.

    ## Example
    ```yaml
    # group.order 0: host shop.example.com, path / (Prefix) -> storefront
    # group.order 10: host shop.example.com, path /api (Prefix) -> api  (never reached)
    ```

    ## Fix
    Give the specific member a lower `group.order`, or put the catch-all in
    the member with the highest order.

    ## References
    - AWS Load Balancer Controller: Ingress annotations, "group.order"
    - Elastic Load Balancing: Listener rules for Application Load Balancers
    """

    id = "ING002"
    slug = "rule-shadowed"
    title = "ALB rule is shadowed by an earlier rule and never matches"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        plan = ctx.models(platform).albs
        for alb in plan.albs:
            for ls in alb.listeners:
                for i, later in enumerate(ls.rules):
                    earlier = next((r for r in ls.rules[:i] if shadows(r, later)), None)
                    if earlier is None:
                        continue
                    member = alb.member(later.ingress)
                    assert member is not None
                    yield self.finding(
                        member.ingress.meta.ref,
                        f"rule {later.priority} on {ls.protocol}:{ls.port} of ALB {alb.group} "
                        f"({later.ingress}) never matches: rule {earlier.priority} "
                        f"({earlier.ingress}) takes every request it would",
                        later.source,
                        evidence=[
                            f"rule {earlier.priority} ({earlier.ingress}): "
                            + "; ".join(
                                f"{c.field} {' | '.join(c.values)}" for c in earlier.conditions
                            ),
                            f"rule {later.priority} ({later.ingress}): "
                            + "; ".join(
                                f"{c.field} {' | '.join(c.values)}" for c in later.conditions
                            ),
                        ],
                        fix="order the specific rule first (a lower group.order, or a path type "
                        "that sorts earlier), or narrow the earlier rule",
                        key=f"{alb.group}:{ls.port}:{later.ingress}:{later.rule_index}:{later.path_index}",
                    )
