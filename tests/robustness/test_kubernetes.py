"""Kubernetes objects with broken parts: one line per problem, pointing at the file's line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.robustness.conftest import Run

AWS_AUTH = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth
  namespace: kube-system
data:
  mapRoles: |
    - rolearn: arn:aws:iam::111122223333:role/ok
      username: [x
      groups: 5
"""


def test_aws_auth_yaml_error_is_one_line_at_the_line_of_the_file(
    tmp_path: Path, ekstwin: Callable[..., Run]
) -> None:
    (tmp_path / "aws-auth.yaml").write_text(AWS_AUTH, encoding="utf-8")
    run = ekstwin("analyze", str(tmp_path), "-q", "-f", "json")
    assert run.code == 2
    assert run.err == (
        "error: aws-auth mapRoles is not valid YAML: line 3, column 9 of its value: "
        f"expected ',' or ']', but got ':' ({tmp_path / 'aws-auth.yaml'}:7) - fix the YAML "
        "inside data.mapRoles; the authenticator ignores the whole key\n"
    )
