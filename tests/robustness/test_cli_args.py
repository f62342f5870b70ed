"""User mistakes in command arguments: exit 2 with one clear line, never an internal error."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.robustness.conftest import Run

DEMO = str(Path(__file__).parents[2] / "examples" / "demo-platform")
CLUSTER = """\
apiVersion: v1
kind: Namespace
metadata:
  name: web
---
apiVersion: v1
kind: Pod
metadata:
  name: web-0
  namespace: web
  labels: {app: web}
spec:
  containers:
  - name: web
    image: nginx:1.27
    ports: [{containerPort: 8080}]
"""


@pytest.fixture
def small(tmp_path: Path) -> str:
    (tmp_path / "k8s.yaml").write_text(CLUSTER, encoding="utf-8")
    return str(tmp_path)


def test_ingress_route_with_a_broken_ipv6_host_is_a_usage_error(
    small: str, ekstwin: Callable[..., Run]
) -> None:
    run = ekstwin("ingress", "route", small, "http://[::1", "-q")
    assert (run.code, run.out, run.err) == (
        2,
        "",
        "error: not an http(s) URL: 'http://[::1' (Invalid IPv6 URL)\n",
    )


@pytest.mark.parametrize("port", ["99999", "-1"])
def test_serve_with_a_port_out_of_range_is_a_usage_error(
    small: str, port: str, ekstwin: Callable[..., Run]
) -> None:
    run = ekstwin("serve", small, "--port", port, "-q")
    assert (run.code, run.out, run.err) == (
        2,
        "",
        f"error: --port {port} is not a TCP port - give 1-65535, or 0 to pick a free one\n",
    )


@pytest.mark.parametrize("command", ["net", "mesh"])
@pytest.mark.parametrize("port", ["99999999", "-1", "0"])
def test_can_with_a_port_out_of_range_is_a_usage_error(
    small: str, command: str, port: str, ekstwin: Callable[..., Run]
) -> None:
    run = ekstwin(command, "can", small, "--from", "web/web-0", "--to", "203.0.113.7",
                  "--port", port)  # fmt: skip
    assert (run.code, run.out, run.err) == (
        2,
        "",
        f"error: --port {port} is not a TCP port - give 1-65535\n",
    )


def test_can_accepts_the_highest_port(small: str, ekstwin: Callable[..., Run]) -> None:
    run = ekstwin("net", "can", small, "--from", "web/web-0", "--to", "203.0.113.7",
                  "--port", "65535", "-f", "json")  # fmt: skip
    assert run.code == 0, run.err
    assert json.loads(run.out)["port"] == 65535


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            ["--scale", "system=99999999999"],
            "error: --scale 'system=99999999999': more nodes than a Kubernetes cluster "
            "holds (at most 5000) - give a smaller N\n",
        ),
        (
            ["--pods-per-node", "99999999999"],
            "error: --pods-per-node 99999999999: more pods than a Kubernetes cluster holds "
            "(at most 150000) - give a smaller N\n",
        ),
    ],
)
def test_ipam_plan_refuses_sizes_beyond_kubernetes_limits_instead_of_hanging(
    option: list[str], message: str, ekstwin: Callable[..., Run]
) -> None:
    run = ekstwin("ipam", "plan", DEMO, *option, "-q")
    assert (run.code, run.out, run.err) == (2, "", message)


def test_net_diff_with_a_missing_platform_exits_2(
    small: str, tmp_path: Path, ekstwin: Callable[..., Run]
) -> None:
    missing = str(tmp_path / "nope")
    run = ekstwin("net", "diff", small, missing, "-q")
    assert run.code == 2
    assert run.err == (
        f"error: no such file or directory ({missing}) - give a directory of manifests, a "
        "file, a snapshot or '-' for stdin\n"
    )


def test_report_compare_with_a_missing_platform_exits_2(
    small: str, tmp_path: Path, ekstwin: Callable[..., Run]
) -> None:
    missing = str(tmp_path / "nope")
    run = ekstwin("report", small, "-o", str(tmp_path / "r.html"), "--compare", missing, "-q")
    assert run.code == 2
    assert run.err == (
        f"error: no such file or directory ({missing}) - give a directory of manifests, a "
        "file, a snapshot or '-' for stdin\n"
    )
    assert (tmp_path / "r.html").is_file()


def test_collect_aws_with_a_malformed_endpoint_url_is_a_usage_error(
    tmp_path: Path, ekstwin: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    run = ekstwin("collect", "aws", "--region", "eu-west-1", "--endpoint-url", "notaurl",
                  "-o", str(tmp_path / "aws.json"), "-q")  # fmt: skip
    assert (run.code, run.out, run.err) == (
        2,
        "",
        "error: --endpoint-url 'notaurl' is not a URL - give one such as http://localhost:4566\n",
    )


def test_collect_k8s_with_a_kubeconfig_that_is_not_a_mapping_is_a_usage_error(
    tmp_path: Path, ekstwin: Callable[..., Run]
) -> None:
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text("just text\n", encoding="utf-8")
    run = ekstwin("collect", "k8s", "--kubeconfig", str(kubeconfig),
                  "-o", str(tmp_path / "out"), "-q")  # fmt: skip
    assert (run.code, run.out, run.err) == (
        2,
        "",
        f"error: cannot load the kubeconfig: {kubeconfig} is not a kubeconfig (a YAML mapping "
        "of clusters, contexts and users) - give a kubeconfig file with --kubeconfig\n",
    )
