"""ingress: the AWS Load Balancer Controller's IngressGroups, built into ALBs.

Public API::

    plan = build_albs(platform)             # -> AlbPlan: every ALB, its listeners and rules
    result = route(platform, "https://shop.example.com/cart")   # -> RouteResult

See docs/ingress.md for the semantics and the JSON shapes.
"""

from __future__ import annotations

from ekstwin.engines.ingress.builder import build_albs, path_patterns, pods_for
from ekstwin.engines.ingress.config import (
    AlbControllerConfig,
    AlbOptions,
    alb_controller_configs,
    platform_alb_options,
)
from ekstwin.engines.ingress.model import (
    Action,
    ActionType,
    Alb,
    AlbPlan,
    Condition,
    ForwardTarget,
    IgnoredIngress,
    JwtClaim,
    JwtValidation,
    Listener,
    Member,
    Rule,
    TargetType,
)
from ekstwin.engines.ingress.route import Reachability, RouteResult, reachability, route

__all__ = [
    "Action",
    "ActionType",
    "AlbControllerConfig",
    "Alb",
    "AlbOptions",
    "AlbPlan",
    "Condition",
    "ForwardTarget",
    "IgnoredIngress",
    "JwtClaim",
    "JwtValidation",
    "Listener",
    "Member",
    "Reachability",
    "RouteResult",
    "Rule",
    "TargetType",
    "alb_controller_configs",
    "build_albs",
    "path_patterns",
    "platform_alb_options",
    "pods_for",
    "reachability",
    "route",
]
