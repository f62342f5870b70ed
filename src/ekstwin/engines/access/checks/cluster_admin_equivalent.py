"""ACC001."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.access.eks import CLUSTER_ADMIN_POLICY, entry_label
from ekstwin.engines.access.rbac import MASTERS, Rbac
from ekstwin.engines.checks import Check, CheckContext
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.aws import AccessScopeType, AuthenticationMode
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef

AWS_AUTH = ObjectRef("ConfigMap", "aws-auth", "kube-system")


class ClusterAdminEquivalent(Check):
    """
    ## What it does
    Finds every way to full control of the cluster: aws-auth entries that put
    an IAM principal in `system:masters`, access entries with
    `AmazonEKSClusterAdminPolicy` at cluster scope, ClusterRoleBindings to a
    role that allows `*` verbs on `*` resources, and the cluster creator's
    admin access that appears in no configuration.

    ## Why is this bad?
    `system:masters` is authorized by kube-apiserver before RBAC is asked and
    EKS access policies are enforced by EKS, so `kubectl auth can-i`,
    kubectl-who-can and rbac-tool do not show these administrators. Each one
    can read every Secret, exec into every pod and take the AWS roles of
    every pod.

    ## Example
    ```yaml
    mapUsers: |
      - userarn: arn:aws:iam::111122223333:user/break-glass
        username: break-glass
        groups: [system:masters]
    ```

    ## Fix
    Keep cluster admin to a short, reviewed list of roles assumed through
    SSO; map break-glass principals to an RBAC group bound to
    `cluster-admin` so that the grant is visible and revocable; turn off
    `bootstrapClusterCreatorAdminPermissions` or delete the creator's entry.

    ## References
    - Amazon EKS User Guide: Grant IAM users access to Kubernetes with a ConfigMap
    - Amazon EKS User Guide: Review access policy permissions
    - Kubernetes documentation: Using RBAC Authorization, "Default roles and role bindings"
    """

    id = "ACC001"
    slug = "cluster-admin-equivalent"
    title = "Cluster-admin equivalent outside RBAC review"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        cluster = platform.eks_cluster()
        mode = cluster.authentication_mode if cluster else AuthenticationMode.CONFIG_MAP
        aws_auth = platform.aws_auth
        if aws_auth is not None and mode.uses_config_map:
            for section, entries in (
                ("mapRoles", aws_auth.map_roles),
                ("mapUsers", aws_auth.map_users),
            ):
                for e in entries:
                    if MASTERS not in e.groups:
                        continue
                    label = entry_label(e)
                    yield self.finding(
                        AWS_AUTH,
                        f"aws-auth {section} puts {label} in system:masters: full control of the "
                        "cluster that RBAC tools do not show",
                        e.source,
                        evidence=[
                            f"{section} entry {label} -> username {e.username}, groups "
                            f"{', '.join(e.groups)}",
                            "system:masters is authorized by kube-apiserver before RBAC",
                            *(
                                [
                                    "an sso entry maps where aws-iam-authenticator runs with its "
                                    "SSORoleMatch feature gate (alpha, off by default)"
                                ]
                                if e.sso is not None
                                else []
                            ),
                        ],
                        fix=f"map {label} to a group bound to cluster-admin, or remove it",
                        key=f"aws-auth:{label}",
                    )
        if cluster is not None and mode.uses_access_entries:
            for entry in cluster.access_entries:
                for assoc in entry.access_policies:
                    if (
                        assoc.policy_arn == CLUSTER_ADMIN_POLICY
                        and assoc.access_scope.type is AccessScopeType.CLUSTER
                    ):
                        yield self.finding(
                            ObjectRef("AccessEntry", entry.principal_arn, cluster.name),
                            f"access entry {entry.principal_arn} has AmazonEKSClusterAdminPolicy "
                            "at cluster scope: cluster admin enforced by EKS, not RBAC",
                            assoc.source if assoc.source.line else entry.source,
                            evidence=[
                                f"cluster {cluster.name} authentication mode {mode.value}",
                                f"access policy {assoc.policy_arn} scope cluster",
                                "kubectl auth can-i --list does not show access policies",
                            ],
                            fix="associate a narrower policy (AmazonEKSAdminPolicy in the "
                            "namespaces needed) or use kubernetesGroups and RBAC",
                            key=f"access-entry:{entry.principal_arn}",
                        )
        if cluster is not None and cluster.creator_arn:
            has_entry = any(
                e.principal_arn.lower() == cluster.creator_arn.lower()
                for e in cluster.access_entries
            )
            invisible = mode is AuthenticationMode.CONFIG_MAP or (
                cluster.bootstrap_cluster_creator_admin_permissions and not has_entry
            )
            if invisible:
                how = (
                    "system:masters that appears in no configuration"
                    if mode is AuthenticationMode.CONFIG_MAP
                    else "an access entry with AmazonEKSClusterAdminPolicy (not in the input)"
                )
                yield self.finding(
                    ObjectRef("EksCluster", cluster.arn),
                    f"the cluster creator {cluster.creator_arn} holds cluster admin through {how}",
                    cluster.source,
                    evidence=[
                        f"authentication mode {mode.value}",
                        "bootstrapClusterCreatorAdminPermissions "
                        f"{cluster.bootstrap_cluster_creator_admin_permissions}",
                    ],
                    fix="move to API_AND_CONFIG_MAP or API and manage the creator's access "
                    "entry explicitly",
                    key=f"creator:{cluster.creator_arn}",
                )
        rbac = Rbac(platform)
        for b in rbac.bindings:
            if b.builtin or b.namespace is not None or b.role is None:
                continue
            if not any(
                "*" in r.verbs and "*" in r.resources and "*" in r.api_groups for r in b.role.rules
            ):
                continue
            subjects = [f"{k} {f'{ns}/' if ns else ''}{n}" for k, n, ns in b.subjects]
            yield self.finding(
                b.ref,
                f"{b.label()} grants {b.role.label()} (* on *) to {', '.join(subjects)}",
                b.source,
                evidence=[f"subject {s}" for s in subjects]
                + [f"{b.role.label()} allows every verb on every resource"],
                fix="bind a role limited to what the subjects need",
                key=f"binding:{b.name}",
            )
