"""ACC004."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.access.eks import find_access_entry, role_arn_without_path
from ekstwin.engines.checks import Check, CheckContext
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.aws import Arn, AuthenticationMode
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef

AWS_AUTH = ObjectRef("ConfigMap", "aws-auth", "kube-system")


class AwsAuthEntryNeverMatches(Check):
    """
    ## What it does
    Finds `aws-auth` entries that aws-iam-authenticator can never use: a
    `rolearn` with a path (a role session's ARN names none, so the lookup
    never finds it), an STS `assumed-role` ARN, an entry repeated later for
    the same ARN (the later one replaces it), an entry for a principal that
    also has an access entry (the access entry wins in `API_AND_CONFIG_MAP`),
    and every entry when the cluster authenticates with `API` only.

    ## Why is this bad?
    The map reads as if the principal has access, but it maps to nothing (or
    to something else): people get no Kubernetes groups, or groups that
    differ from what the file says, and reviews of the file are wrong.

    ## Example
    ```yaml
    mapRoles: |
      - rolearn: arn:aws:iam::111122223333:role/sso/team-orders-developer
    ```

    ## Fix
    Write the role ARN without its path
    (`arn:aws:iam::111122223333:role/team-orders-developer`), remove
    duplicates, and move every mapping to access entries.

    ## References
    - Amazon EKS User Guide: Grant IAM users access to Kubernetes with a ConfigMap
      ("The role ARN can't include a path")
    - Amazon EKS User Guide: Migrating existing aws-auth ConfigMap entries to access entries
    - kubernetes-sigs/aws-iam-authenticator: pkg/arn (Canonicalize), pkg/mapper/configmap
    """

    id = "ACC004"
    slug = "aws-auth-entry-never-matches"
    title = "aws-auth entry that can never match"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        aws_auth = platform.aws_auth
        if aws_auth is None:
            return
        cluster = platform.eks_cluster()
        mode = cluster.authentication_mode if cluster else AuthenticationMode.CONFIG_MAP
        for section, entries in (
            ("mapRoles", aws_auth.map_roles),
            ("mapUsers", aws_auth.map_users),
        ):
            last: dict[str, int] = {}
            for i, e in enumerate(entries):
                last[e.arn.lower()] = i
            for i, e in enumerate(entries):
                if e.sso is not None:  # matched by pattern, not by ARN
                    continue
                why: list[str] = []
                fix = ""
                parsed = Arn.parse(e.arn)
                if mode is AuthenticationMode.API:
                    why.append("the cluster authenticates with access entries only (mode API)")
                    fix = "create an access entry for it"
                elif parsed is not None and parsed.service == "sts":
                    why.append("an STS session ARN is reduced to its role ARN before the lookup")
                    fix = "map the role ARN instead"
                elif section == "mapRoles" and role_arn_without_path(e.arn) != e.arn:
                    plain = role_arn_without_path(e.arn)
                    why.append(f"a role session names no path: the authenticator looks up {plain}")
                    fix = f"write rolearn: {plain}"
                elif last[e.arn.lower()] != i:
                    why.append(f"a later {section} entry for the same ARN replaces it")
                    fix = "remove the duplicate"
                elif cluster is not None and mode is AuthenticationMode.API_AND_CONFIG_MAP:
                    entry = find_access_entry(cluster, e.arn)
                    if entry is not None:
                        why.append(
                            f"access entry {entry.principal_arn} takes precedence "
                            f"(username {entry.username or 'the default'}, groups "
                            f"{', '.join(entry.kubernetes_groups) or 'none'})"
                        )
                        lost = sorted(set(e.groups) - set(entry.kubernetes_groups))
                        if lost:
                            why.append(f"groups lost: {', '.join(lost)}")
                        fix = "put the groups on the access entry and delete the aws-auth entry"
                if not why:
                    continue
                yield self.finding(
                    AWS_AUTH,
                    f"aws-auth {section} entry {e.arn} never applies: {why[0]}",
                    e.source,
                    evidence=[f"groups {', '.join(e.groups) or 'none'}", *why],
                    fix=fix,
                    key=f"{section}:{e.arn}:{i}",
                )
