"""EKS005."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef

#: The control-plane log types EKS can send to CloudWatch Logs, in the API's order.
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
#: Without these two, nobody can tell who did what through the API.
REQUIRED = ("audit", "authenticator")


class ControlPlaneLoggingOff(Check):
    """
    ## What it does
    Finds EKS clusters that do not send the `audit` and `authenticator`
    control-plane logs to CloudWatch Logs. EKS turns every log type off by
    default.

    ## Why is this bad?
    The audit log is the only record of who read a Secret, exec'd into a pod
    or changed RBAC; the authenticator log ties a Kubernetes user to the IAM
    role behind it. Without them an incident cannot be investigated, and
    logs cannot be turned on after the fact for what already happened.

    ## Example
    ```json
    "logging": {"enabled_types": []}
    ```

    ## Fix
    Enable at least `audit` and `authenticator` (`aws eks
    update-cluster-config --logging '{"clusterLogging":[{"types":["audit",
    "authenticator"],"enabled":true}]}'`), with a retention on the log group.

    ## References
    - Amazon EKS User Guide: Send control plane logs to CloudWatch Logs
    - Amazon EKS Best Practices Guide: Security, "Auditing and logging"
    """

    id = "EKS005"
    slug = "control-plane-logging-off"
    title = "EKS control-plane audit or authenticator logging is off"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        for cluster in platform.aws.clusters:
            enabled = set(cluster.logging_enabled_types)
            missing = [t for t in REQUIRED if t not in enabled]
            if not missing:
                continue
            on = [t for t in LOG_TYPES if t in enabled]
            yield self.finding(
                ObjectRef("EksCluster", cluster.arn),
                f"cluster {cluster.name}: control-plane logging is off for {' and '.join(missing)}",
                cluster.source,
                evidence=[
                    "enabled log types: " + (", ".join(on) if on else "none"),
                    "missing: " + ", ".join(missing),
                ],
                fix="enable the audit and authenticator control-plane log types",
            )
