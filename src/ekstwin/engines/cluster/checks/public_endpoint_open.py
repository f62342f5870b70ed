"""EKS001."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef


class PublicEndpointOpen(Check):
    """
    ## What it does
    Finds EKS clusters whose public API endpoint is enabled and open to
    `0.0.0.0/0` (or `::/0`). That is EKS's default: a cluster created
    without `publicAccessCidrs` gets `0.0.0.0/0`.

    ## Why is this bad?
    Anyone on the internet can reach the Kubernetes API server: every
    authentication weakness, leaked token or API server vulnerability is
    exposed to the world, not only to your networks.

    ## Example
    ```json
    "endpoint": {"public_access": true, "public_access_cidrs": ["0.0.0.0/0"]}
    ```

    ## Fix
    Turn the private endpoint on and the public one off, or limit
    `publicAccessCidrs` to the addresses your people and CI come from. Nodes
    in private subnets then need the private endpoint, or their NAT gateways'
    public addresses in the list, to join the cluster.

    ## References
    - Amazon EKS User Guide: Cluster API server endpoint
    - Amazon EKS Best Practices Guide: Security, "Make the EKS Cluster Endpoint private"
    """

    id = "EKS001"
    slug = "public-endpoint-open"
    title = "EKS public API endpoint open to the whole internet"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        for cluster in platform.aws.clusters:
            endpoint = cluster.endpoint
            if not endpoint.open_to_internet:
                continue
            open_cidrs = [c for c in endpoint.public_access_cidrs if c in ("0.0.0.0/0", "::/0")]
            evidence = [
                "public endpoint enabled",
                f"public access CIDRs: {', '.join(endpoint.public_access_cidrs)}",
                "private endpoint " + ("enabled" if endpoint.private_access else "disabled"),
            ]
            yield self.finding(
                ObjectRef("EksCluster", cluster.arn),
                f"cluster {cluster.name}: the public API endpoint accepts connections from "
                f"{' and '.join(open_cidrs)}",
                cluster.source,
                evidence=evidence,
                fix="disable the public endpoint (with the private one on), or restrict "
                "publicAccessCidrs to known ranges",
            )
