"""iam engine scale: policy evaluations per second on one core, and `iam pod` for
every pod of a generated 2,000-pod platform.

Run: ``.venv/bin/python benchmarks/iam_scale.py [--pods 2000] [--seconds 3]``.
Prints each figure next to its target; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from ekstwin.engines.iam import (
    Evaluator,
    IamAnalyzer,
    PolicySet,
    Principal,
    PrincipalType,
    Request,
    parse_policy,
)
from ekstwin.loaders import load

A = "111122223333"
B = "444455556666"
ISS = "oidc.eks.eu-west-1.amazonaws.com/id/BENCH"
PROVIDER = f"arn:aws:iam::{A}:oidc-provider/{ISS}"
TARGET_EVALS = 20_000
TARGET_POD_SECONDS = 5.0


def _doc(*statements: dict[str, object]) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def typical_policies() -> PolicySet:
    """An application role: three identity policies, a boundary and three SCP levels."""
    identity = (
        _doc(
            {
                "Sid": "Read",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": ["arn:aws:s3:::orders-*", "arn:aws:s3:::orders-*/*"],
            },
            {
                "Sid": "Write",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::orders-exports/${aws:PrincipalTag/team}/*",
            },
            {
                "Sid": "Tls",
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ),
        _doc(
            {
                "Effect": "Allow",
                "Action": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"],
                "Resource": f"arn:aws:sqs:eu-west-1:{A}:orders-*",
            },
            {
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
                "Resource": f"arn:aws:dynamodb:eu-west-1:{A}:table/orders*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
            },
        ),
        _doc(
            {
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": f"arn:aws:kms:eu-west-1:{A}:key/*",
                "Condition": {"ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/orders-*"}},
            },
        ),
    )
    boundary = _doc({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"})
    full = _doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
    region = _doc(
        {
            "Sid": "DenyOutsideEU",
            "Effect": "Deny",
            "NotAction": ["iam:*", "sts:*"],
            "Resource": "*",
            "Condition": {
                "StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}
            },
        }
    )
    return PolicySet(
        identity=tuple(parse_policy(d, f"identity[{i}]") for i, d in enumerate(identity)),
        permissions_boundary=parse_policy(boundary, "boundary"),
        scps=(
            (parse_policy(full, "root"),),
            (parse_policy(full, "ou"), parse_policy(region, "ou-region")),
            (parse_policy(full, "account"),),
        ),
    )


def typical_requests() -> list[Request]:
    principal = Principal(
        PrincipalType.ROLE_SESSION,
        f"arn:aws:iam::{A}:role/orders-api",
        A,
        session_arn=f"arn:aws:sts::{A}:assumed-role/orders-api/pod",
    )
    ctx = Request.make_context(
        {
            "aws:SecureTransport": True,
            "aws:RequestedRegion": "eu-west-1",
            "aws:PrincipalTag/team": "orders",
            "kms:ResourceAliases": ["alias/orders-data"],
        }
    )
    calls = [
        ("s3:GetObject", "arn:aws:s3:::orders-data/2026/11/26.json"),
        ("s3:PutObject", "arn:aws:s3:::orders-exports/orders/x.csv"),
        ("s3:PutObject", "arn:aws:s3:::orders-exports/shop/x.csv"),
        ("sqs:SendMessage", f"arn:aws:sqs:eu-west-1:{A}:orders-events"),
        ("dynamodb:Query", f"arn:aws:dynamodb:eu-west-1:{A}:table/orders"),
        ("kms:Decrypt", f"arn:aws:kms:eu-west-1:{A}:key/1234"),
        ("iam:CreateUser", f"arn:aws:iam::{A}:user/x"),
        ("ec2:RunInstances", "*"),
    ]
    return [Request(principal, action, resource, ctx) for action, resource in calls]


def bench_evaluations(seconds: float) -> float:
    policies = typical_policies()
    requests = typical_requests()
    evaluator = Evaluator()
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for request in requests:
            evaluator.evaluate(request, policies)
        count += len(requests)
    return count / (time.perf_counter() - start)


def write_platform(root: Path, pods: int) -> None:
    """A cluster with IRSA roles, node groups with mixed IMDS settings and ECR repos."""
    teams = 40
    per_team = pods // teams
    roles = [
        {
            "name": "node",
            "arn": f"arn:aws:iam::{A}:role/node",
            "trust_policy": _doc(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ),
            "inline_policies": {
                "ecr": _doc(
                    {
                        "Effect": "Allow",
                        "Action": [
                            "ecr:GetAuthorizationToken",
                            "ecr:BatchGetImage",
                            "ecr:GetDownloadUrlForLayer",
                        ],
                        "Resource": "*",
                    }
                )
            },
        },
    ]
    repos = []
    docs: list[str] = []
    instances = []
    for n in range(30):
        instances.append(
            {
                "instance_id": f"i-{n:04x}",
                "instance_type": "m5.xlarge",
                "subnet_id": "subnet-1",
                "node_name": f"node-{n}",
                "cluster": "bench",
                "instance_profile_role_arn": f"arn:aws:iam::{A}:role/node",
                "metadata_options": {
                    "http_tokens": "required" if n % 2 else "optional",
                    "http_put_response_hop_limit": 1 if n % 3 else 2,
                },
            }
        )
    for t in range(teams):
        ns = f"team-{t}"
        role_arn = f"arn:aws:iam::{A}:role/{ns}-app"
        roles.append(
            {
                "name": f"{ns}-app",
                "arn": role_arn,
                "trust_policy": _doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": PROVIDER},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        "Condition": {
                            "StringEquals": {
                                f"{ISS}:sub": f"system:serviceaccount:{ns}:app",
                                f"{ISS}:aud": "sts.amazonaws.com",
                            }
                        },
                    }
                ),
                "inline_policies": {
                    "app": _doc(
                        {
                            "Effect": "Allow",
                            "Action": ["s3:GetObject", "s3:PutObject"],
                            "Resource": f"arn:aws:s3:::{ns}-data/*",
                        },
                        {
                            "Effect": "Allow",
                            "Action": "sqs:*",
                            "Resource": f"arn:aws:sqs:eu-west-1:{A}:{ns}-*",
                        },
                    )
                },
            }
        )
        repo_account = B if t % 4 == 0 else A
        repos.append(
            (
                repo_account,
                {
                    "name": f"{ns}/app",
                    "arn": f"arn:aws:ecr:eu-west-1:{repo_account}:repository/{ns}/app",
                    "region": "eu-west-1",
                    "policy": _doc(
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
                            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                        }
                    )
                    if t % 8 == 0
                    else None,
                },
            )
        )
        docs.append(f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n")
        docs.append(
            f"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n  namespace: {ns}\n"
            f"  annotations:\n    eks.amazonaws.com/role-arn: {role_arn}\n"
        )
        for i in range(per_team):
            sa = "app" if i % 2 else "default"
            docs.append(
                f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\n  namespace: {ns}\n"
                f"spec:\n  serviceAccountName: {sa}\n  nodeName: node-{(t * per_team + i) % 30}\n"
                f"  containers:\n    - name: app\n"
                f"      image: {repos[-1][0]}.dkr.ecr.eu-west-1.amazonaws.com/{ns}/app:1.{i % 7}\n"
            )
    aws = {
        "format": "ekstwin-aws",
        "version": 1,
        "accounts": [
            {
                "id": A,
                "eks": {
                    "clusters": [
                        {
                            "name": "bench",
                            "region": "eu-west-1",
                            "arn": f"arn:aws:eks:eu-west-1:{A}:cluster/bench",
                            "version": "1.31",
                            "oidc_issuer": f"https://{ISS}",
                        }
                    ]
                },
                "ec2": {"instances": instances},
                "iam": {
                    "roles": roles,
                    "oidc_providers": [
                        {
                            "arn": PROVIDER,
                            "url": f"https://{ISS}",
                            "client_ids": ["sts.amazonaws.com"],
                        }
                    ],
                },
                "ecr": {
                    "repositories": [r for acct, r in repos if acct == A and r["policy"] is None]
                    + [r for acct, r in repos if acct == A and r["policy"] is not None]
                },
            },
            {
                "id": B,
                "ecr": {
                    "repositories": [
                        {k: v for k, v in r.items() if v is not None}
                        for acct, r in repos
                        if acct == B
                    ]
                },
            },
        ],
    }
    for account in aws["accounts"]:
        for r in account.get("ecr", {}).get("repositories", []):
            if r.get("policy") is None:
                r.pop("policy", None)
    (root / "aws.json").write_text(json.dumps(aws), encoding="utf-8")
    (root / "pods.yaml").write_text("---\n".join(docs), encoding="utf-8")


def bench_pods(pods: int) -> tuple[int, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        write_platform(Path(tmp), pods)
        result = load([tmp])
    if result.input_errors:
        raise SystemExit(
            "generated platform did not load: " + "; ".join(map(str, result.diagnostics))
        )
    platform = result.platform
    start = time.perf_counter()
    analyzer = IamAnalyzer(platform)
    failing = 0
    for pod in platform.pods:
        access = analyzer.pod_access(pod)
        failing += sum(1 for p in access.pulls if p.ok is False)
    return len(platform.pods), time.perf_counter() - start, failing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pods", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    rate = bench_evaluations(args.seconds)
    count, elapsed, failing = bench_pods(args.pods)
    ok_rate = rate >= TARGET_EVALS
    ok_pods = elapsed <= TARGET_POD_SECONDS
    print(
        f"evaluations/s (one core, typical policies): {rate:,.0f}  target >= {TARGET_EVALS:,}  "
        f"{'ok' if ok_rate else 'MISSED'}"
    )
    print(
        f"iam pod for all {count} pods: {elapsed:.2f} s  target <= {TARGET_POD_SECONDS:.0f} s  "
        f"{'ok' if ok_pods else 'MISSED'}  ({failing} failing pulls found)"
    )
    return 0 if ok_rate and ok_pods else 1


if __name__ == "__main__":
    sys.exit(main())
