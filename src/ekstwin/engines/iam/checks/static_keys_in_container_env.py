"""IAM005."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform

KEY_ID = "AWS_ACCESS_KEY_ID"
SECRET = "AWS_SECRET_ACCESS_KEY"


class StaticKeysInContainerEnv(Check):
    """
    ## What it does
    Reports containers whose `env` sets `AWS_ACCESS_KEY_ID` and
    `AWS_SECRET_ACCESS_KEY`: the AWS SDKs read those variables before any
    other source, so the container runs with long-lived IAM user keys even
    when its ServiceAccount has an IRSA role or a Pod Identity association.
    A secret key written as a literal `value` is reported as critical: it
    sits in the manifest, in Git. Only the variables' names and where their
    values come from are read; no value is kept or printed.

    ## Why is this bad?
    Access keys do not expire or rotate by themselves, leak with every copy
    of the Secret or manifest, and cannot be scoped to one pod: whoever can
    read them is that IAM user from anywhere. They also hide what the
    platform's role-per-pod design says: `ekstwin iam pod` shows the IRSA role,
    the code uses the keys.

    ## Example
    ```yaml
    env:
    - name: AWS_ACCESS_KEY_ID
      valueFrom: {secretKeyRef: {name: legacy-aws, key: id}}
    - name: AWS_SECRET_ACCESS_KEY
      valueFrom: {secretKeyRef: {name: legacy-aws, key: secret}}
    ```

    ## Fix
    Give the workload an IAM role (IRSA annotation or Pod Identity
    association) with the permissions the keys had, remove both variables,
    and deactivate and delete the access keys.

    ## References
    - Amazon EKS User Guide: IAM roles for service accounts
    - AWS IAM User Guide: Security best practices in IAM (temporary credentials for workloads)
    - AWS SDKs and Tools Reference Guide: Understand the credential provider chain
    """

    id = "IAM005"
    slug = "static-keys-in-container-env"
    title = "Container takes long-lived AWS access keys from its environment"
    severity = Severity.HIGH
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        seen: set[tuple[str, str]] = set()
        workloads = {w.ref: w.meta for w in platform.workloads}
        for pod in sorted(platform.pods, key=lambda p: p.key):
            meta = workloads.get(pod.workload, pod.meta) if pod.workload else pod.meta
            for c in pod.spec.containers:
                if not (c.has_env(KEY_ID) and c.has_env(SECRET)):
                    continue
                key = (str(meta.ref), c.name)
                if key in seen:
                    continue
                seen.add(key)
                index = next(i for i, (name, _) in enumerate(c.env) if name == SECRET)
                literal = SECRET in c.env_literal
                where = (
                    "written as a literal value in the manifest"
                    if literal
                    else "taken from a Secret or another reference (valueFrom)"
                )
                yield self.finding(
                    meta.ref,
                    f"{meta.ref} container {c.name!r} sets {KEY_ID} and {SECRET}: its AWS SDK "
                    "uses those long-lived keys before any role the pod gets",
                    meta.line_of(f"{c.pointer}/env/{index}"),
                    evidence=[
                        f"{SECRET} is {where}",
                        f"ServiceAccount {pod.namespace}/{pod.spec.service_account}",
                    ],
                    fix="give the workload an IAM role (IRSA or Pod Identity), remove both "
                    "variables, and deactivate the access key",
                    key=c.name,
                    severity=Severity.CRITICAL if literal else None,
                )
