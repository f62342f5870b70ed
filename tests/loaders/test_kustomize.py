"""Kustomize overlays are read as what kubectl kustomize builds from them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ekstwin.loaders import load
from ekstwin.loaders.kustomize import kustomize_roots

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""
OVERLAY = """\
namespace: shop-{env}
resources:
  - ../../base
patches:
  - target: {{kind: Deployment, name: web}}
    patch: |-
      - op: replace
        path: /spec/template/spec/containers/0/image
        value: nginx:{tag}
"""

needs_kubectl = pytest.mark.skipif(
    shutil.which("kubectl") is None, reason="kubectl (with kustomize) is not installed"
)


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / "base").mkdir(parents=True)
    (root / "base" / "deployment.yaml").write_text(DEPLOYMENT, encoding="utf-8")
    (root / "base" / "kustomization.yaml").write_text(
        "resources:\n  - deployment.yaml\n", encoding="utf-8"
    )
    for env, tag in (("prod", "1.28"), ("dev", "latest")):
        overlay = root / "overlays" / env
        overlay.mkdir(parents=True)
        (overlay / "kustomization.yaml").write_text(
            OVERLAY.format(env=env, tag=tag), encoding="utf-8"
        )
    (root / "plain.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop-prod\n", encoding="utf-8"
    )
    return root


def test_only_overlays_are_built(app: Path) -> None:
    dirs = [app / "base", app / "overlays" / "prod", app / "overlays" / "dev", app]
    roots, found = kustomize_roots(dirs)
    assert roots == sorted(
        [(app / "overlays" / "dev").resolve(), (app / "overlays" / "prod").resolve()]
    )
    assert (app / "base").resolve() in found


@needs_kubectl
def test_overlays_are_read_as_built(app: Path) -> None:
    result = load([str(app)], implied=False)  # the kustomize reader as built
    assert not result.input_errors, result.diagnostics
    deployments = sorted(
        (w.meta.namespace, w.spec.containers[0].image.text, w.meta.source.file)
        for w in result.platform.workloads
    )
    assert deployments == [
        ("shop-dev", "nginx:latest", f"{app}/overlays/dev/kustomization.yaml"),
        ("shop-prod", "nginx:1.28", f"{app}/overlays/prod/kustomization.yaml"),
    ]
    # the plain file beside the kustomizations is still read
    assert [n.name for n in result.platform.namespaces if n.name == "shop-prod"] == ["shop-prod"]


@needs_kubectl
def test_a_broken_kustomization_is_an_input_error(app: Path) -> None:
    (app / "base" / "kustomization.yaml").write_text(
        "resources:\n  - missing.yaml\n", encoding="utf-8"
    )
    result = load([str(app)], implied=False)  # the kustomize reader as built
    errors = [d for d in result.diagnostics if d.code == "kustomize"]
    assert len(errors) == 2  # both overlays fail on the base
    assert all("kubectl kustomize failed" in d.message for d in errors)
    assert not result.platform.workloads


def test_without_kubectl_the_overlay_is_reported_not_misread(
    app: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ekstwin.loaders.kustomize.shutil.which", lambda _name: None)
    result = load([str(app)], implied=False)  # the kustomize reader as built
    errors = sorted(str(d.source) for d in result.diagnostics if d.code == "kustomize")
    assert errors == [
        f"{app}/overlays/dev/kustomization.yaml",
        f"{app}/overlays/prod/kustomization.yaml",
    ]
    assert result.input_errors
    # the base's raw Deployment (with no namespace, the wrong image) is not analysed
    assert not result.platform.workloads
