"""The admission webhooks read from the webhook configurations."""

from __future__ import annotations

from pathlib import Path

from ekstwin.engines.cluster.webhooks import AdmissionWebhook, admission_webhooks
from ekstwin.loaders import load
from ekstwin.model.source import Source

CONFIGS = """apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: aws-load-balancer-webhook
webhooks:
  - name: vingress.elbv2.k8s.aws
    clientConfig:
      service: {name: aws-load-balancer-webhook-service, namespace: kube-system, port: 443}
    failurePolicy: Fail
  - name: no-port.example.com
    clientConfig:
      service: {name: hooks, namespace: tools}
    failurePolicy: Ignore
  - name: outside.example.com
    clientConfig:
      url: https://hooks.example.com/validate
  - name: broken.example.com
    clientConfig:
      service: {name: hooks}
  - name: no-client.example.com
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: pod-identity-webhook
webhooks:
  - name: iam-for-pods.amazonaws.com
    clientConfig:
      service: {name: pod-identity-webhook, namespace: kube-system, port: 8443}
"""


def test_webhooks_with_their_defaults(tmp_path: Path) -> None:
    (tmp_path / "hooks.yaml").write_text(CONFIGS, encoding="utf-8")
    platform = load([str(tmp_path)]).platform
    hooks = admission_webhooks(platform)
    first = Source(str(tmp_path / "hooks.yaml"), 1)
    second = Source(str(tmp_path / "hooks.yaml"), 22)
    assert [(h, h.blocks_on_failure) for h in hooks] == [
        (
            AdmissionWebhook(
                "ValidatingWebhookConfiguration", "aws-load-balancer-webhook",
                "vingress.elbv2.k8s.aws", "Fail", "kube-system",
                "aws-load-balancer-webhook-service", 443, None, first,
            ),
            True,
        ),
        # no port: 443; Ignore does not block
        (
            AdmissionWebhook(
                "ValidatingWebhookConfiguration", "aws-load-balancer-webhook",
                "no-port.example.com", "Ignore", "tools", "hooks", 443, None, first,
            ),
            False,
        ),
        # a URL webhook; failurePolicy defaults to Fail in v1
        (
            AdmissionWebhook(
                "ValidatingWebhookConfiguration", "aws-load-balancer-webhook",
                "outside.example.com", "Fail", None, None, 443,
                "https://hooks.example.com/validate", first,
            ),
            True,
        ),
        # the service reference without a namespace and the one without a client are left out
        (
            AdmissionWebhook(
                "MutatingWebhookConfiguration", "pod-identity-webhook",
                "iam-for-pods.amazonaws.com", "Fail", "kube-system", "pod-identity-webhook",
                8443, None, second,
            ),
            True,
        ),
    ]  # fmt: skip
