"""STO006."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.storage.model import ebs_csi_identity
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef


class EbsCsiWithoutOwnRole(Check):
    """
    ## What it does
    Finds clusters whose EBS CSI controller (the `aws-ebs-csi-driver` add-on
    or an `ebs-csi-controller` Deployment) has no IAM role of its own: no
    IRSA role (add-on service account role or ServiceAccount annotation) and
    no EKS Pod Identity association for its service account. When the nodes
    also answer IMDSv2 only with a hop limit of 1, the controller cannot get
    credentials at all.

    ## Why is this bad?
    Without its own role the AWS SDK in the controller falls back to the node
    role through IMDS: every node then needs `ec2:CreateVolume`,
    `ec2:AttachVolume` and `ec2:DeleteVolume`, and every pod that reaches
    IMDS shares them. With IMDSv2 and a hop limit of 1, a pod's request never
    gets a token: volume creation and attachment fail and every new claim
    stays `Pending`.

    ## Example
    ```json
    "addons": [{"name": "aws-ebs-csi-driver", "service_account_role_arn": null}]
    ```

    ## Fix
    Create a role with `AmazonEBSCSIDriverPolicy` (and the KMS permissions
    for your keys) and give it to `kube-system/ebs-csi-controller-sa` by Pod
    Identity association or IRSA.

    ## References
    - Amazon EKS User Guide: Store Kubernetes volumes with Amazon EBS
    - aws-ebs-csi-driver: docs/faq.md, "IMDSv2 Support"
    """

    id = "STO006"
    slug = "ebs-csi-without-own-role"
    title = "EBS CSI controller has no IAM role of its own"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        for cluster in platform.aws.clusters:
            ident = ebs_csi_identity(platform, cluster)
            if not ident.present or ident.how != "node-role":
                continue
            blocked = []
            open_ = []
            account = platform.aws.account_of(cluster.arn)
            for inst in account.instances if account else ():
                if inst.cluster not in (None, cluster.name) or not (
                    inst.cluster or inst.node_group
                ):
                    continue
                name = inst.node_name or inst.instance_id
                if inst.metadata_options.reachable_from_pods:
                    open_.append(name)
                else:
                    blocked.append(name)
            evidence = list(ident.evidence)
            if blocked:
                evidence.append(
                    "IMDS unreachable from pods (IMDSv2 with hop limit 1, or IMDS off) on "
                    + ", ".join(blocked)
                )
            if open_:
                evidence.append("IMDS reachable from pods on " + ", ".join(open_))
            if blocked and not open_:
                message = (
                    f"cluster {cluster.name}: the EBS CSI controller has no IAM role of its own "
                    "and no node lets pods reach IMDS: it cannot create or attach volumes"
                )
                severity = Severity.HIGH
            elif blocked:
                message = (
                    f"cluster {cluster.name}: the EBS CSI controller has no IAM role of its own; "
                    f"on {len(blocked)} node(s) pods cannot reach IMDS, so it fails there and "
                    "relies on the node role elsewhere"
                )
                severity = Severity.HIGH
            else:
                message = (
                    f"cluster {cluster.name}: the EBS CSI controller has no IAM role of its own "
                    "and relies on the node role through IMDS"
                )
                severity = Severity.MEDIUM
            yield self.finding(
                ObjectRef("EksCluster", cluster.arn),
                message,
                cluster.source,
                evidence=evidence,
                fix=f"associate a role with AmazonEBSCSIDriverPolicy to "
                f"{ident.namespace}/{ident.service_account} (Pod Identity or IRSA)",
                severity=severity,
            )
