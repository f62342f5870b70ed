"""Which keys the demo uses, by whom, and the KMS checks on the demo."""

from __future__ import annotations

from pathlib import Path

from ekstwin.engines.checks import CheckContext, discover_checks, run_checks
from ekstwin.engines.kms.keys import key_uses
from ekstwin.loaders import load

DEMO = Path(__file__).resolve().parents[3] / "examples" / "demo-platform"


def test_demo_key_uses_name_the_calling_role() -> None:
    uses = key_uses(load([str(DEMO)]).platform)
    got = [(u.purpose, str(u.user), u.key_ref.rsplit("/", 1)[-1], u.principal_arn) for u in uses]
    assert got == [
        ("secrets", "EksCluster/arn:aws:eks:eu-west-1:111122223333:cluster/platform-prod",
         "1234abcd-12ab-34cd-56ef-1234567890ab",
         "arn:aws:iam::111122223333:role/platform-prod-cluster"),
        ("ebs", "StorageClass/gp3-encrypted", "1234abcd-12ab-34cd-56ef-1234567890ab",
         "arn:aws:iam::111122223333:role/platform-prod-ebs-csi"),
        ("ebs", "StorageClass/gp2-immediate", "0987dcba-09fe-87dc-65ba-ab0987654321",
         "arn:aws:iam::111122223333:role/platform-prod-ebs-csi"),
    ]  # fmt: skip


def test_demo_rotation_finding_names_the_legacy_key_not_the_unused_disabled_one() -> None:
    checks = [c for c in discover_checks() if c.id in ("KMS002", "KMS004")]
    run = run_checks(load([str(DEMO)]).platform, CheckContext(), checks)
    assert [(f.check_id, f.message) for f in run.findings] == [
        (
            "KMS004",
            "KMS key 0987dcba-09fe-87dc-65ba-ab0987654321 (alias/platform-legacy-ebs) is in use "
            "and its automatic rotation is off",
        )
    ]
