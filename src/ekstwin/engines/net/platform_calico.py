"""Which Calico release the platform runs, and the ordering rule that follows.

The release is read from the image tag of the ``calico-node`` DaemonSet
(``calico/node:v3.31.2``, from any registry) when the input holds it; a
``--calico-version`` given by the user wins. Without either, the twin follows
the current release.
"""

from __future__ import annotations

import re

from ekstwin.engines.net.policies import TieBreak
from ekstwin.errors import ConfigError
from ekstwin.model.k8s import WorkloadKind
from ekstwin.model.platform import Platform

#: The first release that breaks order ties by name, then namespace, then kind.
NAME_NAMESPACE_KIND_SINCE = (3, 32)
_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?")


class CalicoVersionError(ConfigError):
    """A Calico version that does not parse."""


def parse_calico_version(text: str) -> tuple[int, int, int]:
    """``v3.31.2``, ``3.31`` or ``v3.32.0-1.0`` as (major, minor, patch)."""
    m = _VERSION.fullmatch(text.strip())
    if m is None:
        raise CalicoVersionError(
            f"Calico version {text!r} does not parse: give it as v3.31.2 or 3.31"
        )
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def calico_node_version(platform: Platform) -> tuple[int, int, int] | None:
    """The release of the input's calico-node DaemonSet, when its image tag says it."""
    for w in platform.workloads:
        if w.kind is not WorkloadKind.DAEMON_SET:
            continue
        for c in w.spec.containers:
            repo = c.image.repository
            if repo == "calico/node" or repo.endswith("/calico/node") or repo == "calico-node":
                tag = c.image.tag or ""
                if _VERSION.fullmatch(tag):
                    return parse_calico_version(tag)
    return None


def tie_break(platform: Platform, calico_version: str | None = None) -> TieBreak:
    """The tie-break rule of the release given, else of the platform's calico-node,
    else of the current release."""
    version = (
        parse_calico_version(calico_version)
        if calico_version is not None
        else calico_node_version(platform)
    )
    if version is not None and version[:2] < NAME_NAMESPACE_KIND_SINCE:
        return TieBreak.LEGACY_NAME
    return TieBreak.NAME_NAMESPACE_KIND
