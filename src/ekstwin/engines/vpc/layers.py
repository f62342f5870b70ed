"""The layers a flow passes, in path order, and one layer's verdict."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ekstwin.model.source import Source


class Layer(StrEnum):
    """Where a flow can be stopped, in the order a packet meets them (the return
    path through stateless network ACLs last)."""

    NETWORKPOLICY_EGRESS = "networkpolicy-egress"
    SECURITY_GROUP_EGRESS = "security-group-egress"
    NACL_OUTBOUND = "nacl-outbound"
    ROUTE = "route"
    NACL_INBOUND = "nacl-inbound"
    SECURITY_GROUP_INGRESS = "security-group-ingress"
    NETWORKPOLICY_INGRESS = "networkpolicy-ingress"
    MESH = "mesh"
    NACL_RETURN = "nacl-return"


#: The layers AWS decides, in path order (what :func:`aws_layers` returns).
AWS_LAYERS: tuple[Layer, ...] = (
    Layer.SECURITY_GROUP_EGRESS,
    Layer.NACL_OUTBOUND,
    Layer.ROUTE,
    Layer.NACL_INBOUND,
    Layer.SECURITY_GROUP_INGRESS,
    Layer.NACL_RETURN,
)

#: Every layer in path order.
PATH_ORDER: tuple[Layer, ...] = tuple(Layer)


@dataclass(frozen=True, slots=True)
class LayerVerdict:
    """One layer's answer for one flow: allowed, denied, or None when the input
    does not say enough to judge it (``decided_by`` then says what is missing)."""

    layer: Layer
    allowed: bool | None
    decided_by: str
    source: Source | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "layer": self.layer.value,
            "allowed": self.allowed,
            "decided_by": self.decided_by,
            "source": None if self.source is None else f"{self.source.file}:{self.source.line}",
        }


def overall(layers: tuple[LayerVerdict, ...]) -> bool | None:
    """The flow's verdict from its layers: any layer denying denies; else any
    layer unknown leaves it unknown; else allowed."""
    if any(v.allowed is False for v in layers):
        return False
    if any(v.allowed is None for v in layers):
        return None
    return True


def first_drop(layers: tuple[LayerVerdict, ...]) -> LayerVerdict | None:
    """The first layer in path order that denies, if any."""
    return next((v for v in layers if v.allowed is False), None)
