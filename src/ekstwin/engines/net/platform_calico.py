"""Which Calico release the platform runs, and the ordering rule that follows.

The release is read from the image tag of the ``calico-node`` DaemonSet
(``calico/node:v3.31.2``, from any registry) when the input holds it; a
``--calico-version`` given by the user wins. Without either, the twin follows
the current release.
"""

from __future__ import annotations

import re

from ekstwin.engines.net.enforcement import AdminPolicySupport, Enforcement, Enforcer
from ekstwin.errors import ConfigError
from ekstwin.model.calico import TieBreak
from ekstwin.model.k8s import WorkloadKind
from ekstwin.model.platform import Platform

#: The first release that breaks order ties by name, then namespace, then kind.
NAME_NAMESPACE_KIND_SINCE = (3, 32)
#: The first releases with the adminnetworkpolicy and baselineadminnetworkpolicy
#: tiers (projectcalico/api pkg/apis/projectcalico/v3/tier.go at v3.29.4, v3.30.0).
ADMIN_POLICY_SINCE = (3, 29)
BASELINE_POLICY_SINCE = (3, 30)
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


def _release(version: tuple[int, int, int]) -> str:
    return f"v{version[0]}.{version[1]}.{version[2]}"


def admin_policy_support(
    platform: Platform, enforcement: Enforcement, calico_version: str | None = None
) -> AdminPolicySupport | None:
    """Whether ``enforcement`` applies the platform's AdminNetworkPolicies and
    BaselineAdminNetworkPolicy; None when the input has neither.

    Calico implements AdminNetworkPolicy from v3.29 and the baseline policy from
    v3.30; the release comes from ``calico_version`` or the calico-node image,
    else the current release is assumed. The VPC CNI network policy agent
    implements Kubernetes NetworkPolicy only. With no node agent in the input
    the policies are judged as written, as by an enforcer that implements both.
    """
    if not platform.admin_network_policies:
        return None
    enforcer = enforcement.enforcer
    if enforcer is Enforcer.NONE:
        return AdminPolicySupport(
            False, False, False, "admin network policies have no effect: no enforcer"
        )
    if enforcer is Enforcer.VPC_CNI:
        return AdminPolicySupport(
            False,
            False,
            False,
            "AdminNetworkPolicy and BaselineAdminNetworkPolicy have no effect: the VPC CNI "
            "network policy agent implements Kubernetes NetworkPolicy only",
        )
    if enforcer is Enforcer.UNKNOWN:
        return AdminPolicySupport(
            True,
            True,
            True,
            "AdminNetworkPolicy and BaselineAdminNetworkPolicy judged as written: an "
            "enforcer that implements them (as Calico v3.30+) is assumed",
        )
    version = (
        parse_calico_version(calico_version)
        if calico_version is not None
        else calico_node_version(platform)
    )
    if version is None:
        return AdminPolicySupport(
            True,
            True,
            True,
            "the Calico release is not in the input: the current one is assumed, which "
            "implements AdminNetworkPolicy and BaselineAdminNetworkPolicy",
        )
    admin = version[:2] >= ADMIN_POLICY_SINCE
    baseline = version[:2] >= BASELINE_POLICY_SINCE
    if admin and baseline:
        note = (
            f"Calico {_release(version)} implements AdminNetworkPolicy and "
            "BaselineAdminNetworkPolicy"
        )
    elif admin:
        note = (
            f"Calico {_release(version)} implements AdminNetworkPolicy; BaselineAdminNetworkPolicy "
            "has no effect before v3.30"
        )
    else:
        note = (
            f"AdminNetworkPolicy and BaselineAdminNetworkPolicy have no effect: Calico "
            f"{_release(version)} implements them from v3.29 and v3.30"
        )
    return AdminPolicySupport(admin, baseline, False, note)
