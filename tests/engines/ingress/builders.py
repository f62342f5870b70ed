"""Small manifest builders for the ingress and dns tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ekstwin.loaders import load
from ekstwin.model.platform import Platform

P = "alb.ingress.kubernetes.io/"

ALB_CLASS = """apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: alb
spec:
  controller: ingress.k8s.aws/alb
"""


def service(ns: str, name: str, svc_type: str = "ClusterIP", port: int = 80) -> str:
    return f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {ns}
spec:
  type: {svc_type}
  selector: {{app: {name}}}
  ports:
    - name: http
      port: {port}
      targetPort: 8080
"""


def ingress(
    ns: str,
    name: str,
    rules: Sequence[tuple[str | None, Sequence[tuple[str | None, str, str]]]],
    annotations: dict[str, str] | None = None,
    *,
    class_name: str | None = "alb",
    extra_spec: str = "",
) -> str:
    ann = "".join(f"\n    {k}: {json.dumps(v)}" for k, v in (annotations or {}).items())
    text = f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n"
    text += (
        f"  namespace: {ns}\n  annotations: {{}}\n"
        if not ann
        else f"  namespace: {ns}\n  annotations:{ann}\n"
    )
    text += "spec:\n"
    if class_name:
        text += f"  ingressClassName: {class_name}\n"
    text += extra_spec
    text += "  rules:\n"
    for host, paths in rules:
        text += (
            f"    - host: {host}\n      http:\n        paths:\n"
            if host
            else "    - http:\n        paths:\n"
        )
        for path, ptype, svc in paths:
            text += f"          - pathType: {ptype}\n"
            if path is not None:
                text += f"            path: {json.dumps(path)}\n"
            text += (
                f"            backend:\n              service:\n                name: {svc}\n"
                "                port:\n                  number: 80\n"
            )
    return text


def platform(tmp_path: Path, *docs: str, aws: dict[str, object] | None = None) -> Platform:
    (tmp_path / "m.yaml").write_text("---\n".join(docs), encoding="utf-8")
    if aws is not None:
        (tmp_path / "aws.json").write_text(json.dumps(aws), encoding="utf-8")
    result = load([str(tmp_path)])
    assert [str(d) for d in result.diagnostics] == []
    return result.platform
