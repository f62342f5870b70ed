"""Checks of the mesh engine, one per file."""

from __future__ import annotations

from ekstwin.engines.checks import CheckContext
from ekstwin.engines.mesh.verdict import MeshModel
from ekstwin.model.platform import Platform


def mesh_model(platform: Platform, ctx: CheckContext) -> MeshModel:
    """The mesh model on the run's shared network model, built once per check run."""
    return ctx.models(platform).mesh
