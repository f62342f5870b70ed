"""A hand-built Report that exercises every part of every format."""

from __future__ import annotations

import pytest

from ekstwin.findings import (
    CheckInfo,
    Confidence,
    Diagnostic,
    DiagnosticLevel,
    Finding,
    ObjectRef,
    PlatformSummary,
    Report,
    Severity,
    Suppressed,
)
from ekstwin.model.source import Source

ECR001 = CheckInfo(
    id="ECR001",
    slug="mutable-tag-if-not-present",
    title="Mutable image tag pulled with IfNotPresent",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    engine="images",
    doc=(
        "What it does\n\nFinds containers that run a mutable tag with"
        " imagePullPolicy IfNotPresent.\n\nWhy is this bad?\n\nNodes may run"
        " different images under one name."
    ),
    doc_path="docs/checks/ECR001.md",
)
IAM002 = CheckInfo(
    id="IAM002",
    slug="irsa-trust-wildcard",
    title="IRSA role trusts every service account",
    severity=Severity.CRITICAL,
    confidence=Confidence.MEDIUM,
    engine="iam",
    doc="What it does\n\nFinds IAM roles whose OIDC trust matches any service account.",
    doc_path="docs/checks/IAM002.md",
)
NET003 = CheckInfo(
    id="NET003",
    slug="namespace-without-default-deny",
    title="Namespace without a default-deny policy",
    severity=Severity.MEDIUM,
    confidence=Confidence.LOW,
    engine="net",
    doc="",
    doc_path="docs/checks/NET003.md",
)
KMS001 = CheckInfo(
    id="KMS001",
    slug="secrets-not-envelope-encrypted",
    title="Secrets are not envelope-encrypted with KMS",
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    engine="kms",
    doc="What it does\n\nChecks the cluster's encryptionConfig.",
    doc_path="docs/checks/KMS001.md",
)

WEB = ObjectRef(kind="Deployment", namespace="shop", name="web")


@pytest.fixture
def report() -> Report:
    """Three findings of different severities, one without a location, one
    suppressed, a warning and an error diagnostic, and a check that passed."""
    findings = (
        Finding(
            check_id="NET003",
            title=NET003.title,
            severity=Severity.MEDIUM,
            confidence=Confidence.LOW,
            subject=ObjectRef(kind="Namespace", name="shop"),
            message="Namespace shop has no default-deny NetworkPolicy",
            source=None,
            fix="Add a NetworkPolicy with an empty podSelector and no rules.",
        ),
        Finding(
            check_id="ECR001",
            title=ECR001.title,
            severity=Severity.HIGH,
            confidence=Confidence.HIGH,
            subject=WEB,
            message="Container app runs 123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:latest"
            " with imagePullPolicy IfNotPresent",
            source=Source("manifests/shop/web.yaml", 21),
            evidence=(
                "repository web has imageTagMutability MUTABLE",
                "container app uses tag latest",
                "imagePullPolicy IfNotPresent",
            ),
            fix="Pin the image by digest or make the repository's tags immutable.",
            key="app",
        ),
        Finding(
            check_id="IAM002",
            title=IAM002.title,
            severity=Severity.CRITICAL,
            confidence=Confidence.MEDIUM,
            subject=ObjectRef(kind="IAMRole", name="shop-s3-writer"),
            message="Role shop-s3-writer trusts system:serviceaccount:*:* of the cluster's"
            " OIDC provider",
            source=Source("aws.json", 0),
            evidence=(
                "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE",
                "StringLike sub system:serviceaccount:*:*",
                "role shop-s3-writer",
            ),
            fix="Match the exact system:serviceaccount:NAMESPACE:NAME with StringEquals.",
            key="statement/0",
        ),
    )
    suppressed = (
        Suppressed(
            finding=Finding(
                check_id="ECR001",
                title=ECR001.title,
                severity=Severity.HIGH,
                confidence=Confidence.HIGH,
                subject=ObjectRef(kind="Deployment", namespace="tools", name="debug"),
                message="Container shell runs busybox:latest with imagePullPolicy IfNotPresent",
                source=Source("manifests/tools/debug.yaml", 9),
                key="shell",
            ),
            kind="annotation",
            justification="debug image, never in production",
        ),
    )
    diagnostics = (
        Diagnostic(
            source=Source("manifests/shop/broken.yaml", 4),
            message="mapping values are not allowed here",
            hint="check the indentation on this line",
            level=DiagnosticLevel.ERROR,
            code="yaml",
        ),
        Diagnostic(
            source=Source("manifests/shop/cronjob.yaml", 1),
            message="kind CronJob is loaded but not modelled",
            level=DiagnosticLevel.WARNING,
            code="opaque-kind",
        ),
    )
    return Report(
        tool_version="0.1.0",
        inputs=("manifests/", "aws.json"),
        summary=PlatformSummary(
            kinds=(("Deployment", 2), ("Namespace", 2), ("Service", 1)),
            namespaces=("shop", "tools"),
            nodes=("ip-198-18-1-10.eu-west-1.compute.internal",),
            accounts=("123456789012",),
            pods=4,
            opaque=(("CronJob", 1),),
        ),
        checks=(NET003, ECR001, IAM002, KMS001),
        findings=findings,
        suppressed=suppressed,
        diagnostics=diagnostics,
    )


@pytest.fixture
def hostile_report(report: Report) -> Report:
    """Markup, escape sequences and XML metacharacters in every text field."""
    nasty = 'a [bold]b[/bold] <c> & "d" \x1b[31mred\x1b[0m \x00 \u202eevil'
    finding = Finding(
        check_id="ECR001",
        title=nasty,
        severity=Severity.HIGH,
        confidence=Confidence.HIGH,
        subject=ObjectRef(kind="Deployment", namespace="[red]ns[/red]", name="<web>"),
        message=nasty,
        source=Source("manifests/[x] & y.yaml", 3),
        evidence=(nasty, "second\x07step"),
        fix=nasty,
    )
    return Report(
        tool_version=report.tool_version,
        inputs=("[bold]in[/bold]",),
        summary=report.summary,
        checks=report.checks,
        findings=(finding,),
        diagnostics=(
            Diagnostic(source=Source("x.yaml", 1), message=nasty, hint=nasty, code="yaml"),
        ),
    )
