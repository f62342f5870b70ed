"""EKS004."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.aws import EksCluster, IamRole, RouteTargetKind
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else [value]


def trusts_saml(role: IamRole) -> bool:
    """Does the trust policy let a SAML provider's users assume the role (SSO)?"""
    for stmt in _as_list(role.trust_policy.get("Statement", [])):
        if not isinstance(stmt, dict) or stmt.get("Effect") != "Allow":
            continue
        actions = [str(a).lower() for a in _as_list(stmt.get("Action", []))]
        principal = stmt.get("Principal")
        federated = principal.get("Federated", []) if isinstance(principal, dict) else []
        if any(":saml-provider/" in str(f) for f in _as_list(federated)) or any(
            a in ("sts:assumerolewithsaml", "sts:*", "*") and federated for a in actions
        ):
            return True
    return False


def _canonical(arn: str) -> str:
    """A role ARN without its path, as aws-auth and access entries compare it."""
    head, _, rest = arn.partition(":role/")
    return f"{head}:role/{rest.rsplit('/', 1)[-1]}" if rest else arn


def sso_roles(platform: Platform, cluster: EksCluster) -> tuple[tuple[IamRole, bool], ...]:
    """SSO (SAML) roles of the cluster's account, each with: is it mapped into the cluster?"""
    mapped = {_canonical(e.principal_arn) for e in cluster.access_entries}
    if platform.aws_auth is not None:
        mapped |= {_canonical(e.arn) for e in platform.aws_auth.map_roles}
    account = platform.aws.account_of(cluster.arn)
    roles = account.roles if account is not None else ()
    return tuple((r, _canonical(r.arn) in mapped) for r in roles if trusts_saml(r))


class PrivateEndpointUnreachable(Check):
    """
    ## What it does
    Finds EKS clusters with the public endpoint off (private only) while
    people sign in through SSO: roles that trust a SAML provider, mapped into
    the cluster by access entries or `aws-auth`. SSO sessions start on
    laptops, outside the VPC, where the private endpoint does not answer.

    ## Why is this bad?
    A private-only endpoint answers only inside the cluster's VPC and the
    networks routed into it. Unless people come in through a VPN, Direct
    Connect, a transit gateway or a bastion, their `kubectl` times out: the
    platform team loses access in an incident, and CI outside the VPC cannot
    deploy. When the VPC's route tables show a transit gateway or a virtual
    private gateway, such a path may exist, and the finding says so.

    ## Example
    ```json
    "endpoint": {"public_access": false, "private_access": true}
    ```
    with roles trusting `saml-provider/keycloak` in access entries.

    ## Fix
    Give people a network path into the VPC (client VPN, transit gateway,
    SSM port forwarding to a bastion), or turn the public endpoint on with
    `publicAccessCidrs` limited to the addresses they work from.

    ## References
    - Amazon EKS User Guide: Cluster API server endpoint ("Accessing a private only API server")
    - Amazon EKS Best Practices Guide: Security, "Make the EKS Cluster Endpoint private"
    """

    id = "EKS004"
    slug = "private-endpoint-unreachable"
    title = "Private-only API endpoint while SSO users work from outside the VPC"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        for cluster in platform.aws.clusters:
            if cluster.endpoint.public_access or not cluster.endpoint.private_access:
                continue
            roles = sso_roles(platform, cluster)
            mapped = [r for r, is_mapped in roles if is_mapped]
            if not mapped:
                continue
            gateways = sorted(
                {
                    f"{r.gateway_id} ({r.target_kind.value})"
                    for t in platform.aws.route_tables
                    if t.vpc_id == cluster.vpc_id
                    for r in t.routes
                    if r.target_kind
                    in (RouteTargetKind.TRANSIT_GATEWAY, RouteTargetKind.VIRTUAL_PRIVATE_GATEWAY)
                }
            )
            evidence = [
                "public endpoint disabled, private endpoint enabled",
                "SSO roles mapped into the cluster: " + ", ".join(r.name for r in mapped),
            ]
            if gateways:
                evidence.append(
                    "the VPC routes to " + ", ".join(gateways) + ": people may come in that way"
                )
            else:
                evidence.append(
                    "no route table of the VPC names a transit or virtual private gateway"
                )
            yield self.finding(
                ObjectRef("EksCluster", cluster.arn),
                f"cluster {cluster.name}: the API endpoint is private only, but "
                f"{len(mapped)} SSO role(s) ({', '.join(r.name for r in mapped)}) are used "
                "by people who sign in from outside the VPC",
                cluster.source,
                evidence=evidence,
                fix="provide a network path into the VPC (VPN, transit gateway, bastion), or "
                "enable the public endpoint limited to known CIDRs",
                confidence=Confidence.LOW if gateways else None,
            )
