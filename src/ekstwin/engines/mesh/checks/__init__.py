"""Checks of the mesh engine, one per file."""

from __future__ import annotations

from ekstwin.engines.checks import CheckContext
from ekstwin.engines.mesh.verdict import MeshModel
from ekstwin.engines.net.lint import net_model
from ekstwin.model.platform import Platform


def mesh_model(platform: Platform, ctx: CheckContext) -> MeshModel:
    """The mesh model on the run's shared network model, built once per check run."""
    return ctx.shared("mesh.model", platform, lambda: MeshModel(platform, net_model(platform, ctx)))
