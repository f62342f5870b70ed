from __future__ import annotations

import xml.etree.ElementTree as ET

from ekstwin.findings import Report
from ekstwin.reporters.junit import JunitReporter
from tests.reporters import EXPECTED
from tests.snapshots import assert_snapshot


def test_junit_matches_snapshot(report: Report) -> None:
    assert_snapshot(EXPECTED / "report.junit.xml", JunitReporter().render(report))


def test_junit_parses_back_with_suites_cases_and_counts(report: Report) -> None:
    root = ET.fromstring(JunitReporter().render(report))
    suites = [
        (
            s.get("name"),
            s.get("tests"),
            s.get("failures"),
            s.get("errors"),
            s.get("skipped"),
            [(c.get("name"), [child.tag for child in c]) for c in s.iter("testcase")],
        )
        for s in root.iter("testsuite")
    ]
    assert (root.tag, root.get("tests"), root.get("failures"), root.get("errors")) == (
        "testsuites",
        "7",
        "3",
        "1",
    )
    assert suites == [
        (
            "input",
            "2",
            "0",
            "1",
            "0",
            [
                ("manifests/shop/broken.yaml:4", ["error"]),
                ("manifests/shop/cronjob.yaml:1", ["system-out"]),
            ],
        ),
        (
            "ECR001 Mutable image tag pulled with IfNotPresent",
            "2",
            "1",
            "0",
            "1",
            [("Deployment/shop/web", ["failure"]), ("Deployment/tools/debug", ["skipped"])],
        ),
        (
            "IAM002 IRSA role trusts every service account",
            "1",
            "1",
            "0",
            "0",
            [("IAMRole/shop-s3-writer", ["failure"])],
        ),
        (
            "KMS001 Secrets are not envelope-encrypted with KMS",
            "1",
            "0",
            "0",
            "0",
            [("secrets-not-envelope-encrypted", [])],
        ),
        (
            "NET003 Namespace without a default-deny policy",
            "1",
            "1",
            "0",
            "0",
            [("Namespace/shop", ["failure"])],
        ),
    ]


def test_junit_escapes_markup_and_control_characters(hostile_report: Report) -> None:
    out = JunitReporter().render(hostile_report)
    assert_snapshot(EXPECTED / "hostile.junit.xml", out)
    root = ET.fromstring(out)
    failure = next(root.iter("failure"))
    assert failure.get("message") == (
        'a [bold]b[/bold] <c> & "d" \\x1b[31mred\\x1b[0m \\x00 \\u202eevil'
    )
    assert "\x1b" not in out
    assert "\x00" not in out
