"""ingress: the AWS Load Balancer Controller's IngressGroups, built into ALBs.

Public API::

    plan = build_albs(platform)             # -> AlbPlan: every ALB, its listeners and rules
    result = route(platform, "https://shop.example.com/cart")   # -> RouteResult

See docs/ingress.md for the semantics and the JSON shapes.
"""

from __future__ import annotations

from ekstwin.engines.ingress.builder import AlbOptions, build_albs, path_patterns, pods_for
from ekstwin.engines.ingress.model import (
    Action,
    ActionType,
    Alb,
    AlbPlan,
    Condition,
    ForwardTarget,
    IgnoredIngress,
    Listener,
    Member,
    Rule,
    TargetType,
)
from ekstwin.engines.ingress.route import Reachability, RouteResult, reachability, route

__all__ = [
    "Action",
    "ActionType",
    "Alb",
    "AlbOptions",
    "AlbPlan",
    "Condition",
    "ForwardTarget",
    "IgnoredIngress",
    "Listener",
    "Member",
    "Reachability",
    "RouteResult",
    "Rule",
    "TargetType",
    "build_albs",
    "path_patterns",
    "pods_for",
    "reachability",
    "route",
]
