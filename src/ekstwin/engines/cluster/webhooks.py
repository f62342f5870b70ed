"""The admission webhooks the API server calls, and where their traffic lands.

Validating and Mutating WebhookConfigurations (admissionregistration.k8s.io/v1)
name, per webhook, either a ``url`` (the API server calls it as written) or a
``service`` (namespace, name, port defaulting to 443, path). The API server runs
in the EKS control plane: its calls to an in-cluster webhook come from the
control plane's network interfaces in the cluster subnets, go to the Service's
backing pods on their target port (not to the ClusterIP: the control plane has
no kube-proxy), and pass the pods' security groups and network policies.

``failurePolicy`` defaults to ``Fail`` in v1: an unreachable webhook then blocks
every request it matches (the classic symptom: creating an Ingress fails with
"context deadline exceeded" when the control plane cannot reach the AWS Load
Balancer Controller's webhook on 9443).

Reference: Kubernetes documentation, "Dynamic Admission Control" (service
reference, port default 443, failurePolicy default Fail in v1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ekstwin.model.platform import Platform
from ekstwin.model.source import Source

__all__ = ["WEBHOOK_KINDS", "AdmissionWebhook", "admission_webhooks"]

WEBHOOK_KINDS = ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration")

#: The port of a webhook's service reference when none is written.
DEFAULT_WEBHOOK_PORT = 443


@dataclass(frozen=True, slots=True)
class AdmissionWebhook:
    """One webhook of a webhook configuration."""

    configuration_kind: str
    configuration: str
    name: str
    failure_policy: str
    service_namespace: str | None
    service_name: str | None
    service_port: int
    url: str | None
    source: Source

    @property
    def label(self) -> str:
        return f"{self.configuration_kind}/{self.configuration} webhook {self.name}"

    @property
    def blocks_on_failure(self) -> bool:
        return self.failure_policy != "Ignore"


def admission_webhooks(platform: Platform) -> tuple[AdmissionWebhook, ...]:
    """Every webhook the input's webhook configurations declare, in input order.
    Entries without a usable client configuration are skipped (the loader
    keeps these kinds opaque; a malformed one cannot be judged)."""
    out: list[AdmissionWebhook] = []
    for obj in platform.opaque:
        if obj.meta.kind not in WEBHOOK_KINDS:
            continue
        hooks = obj.body.get("webhooks")
        if not isinstance(hooks, list):
            continue
        for index, hook in enumerate(hooks):
            where = obj.meta.line_of(f"/webhooks/{index}")
            parsed = _webhook(obj.meta.kind, obj.meta.name, hook, where)
            if parsed is not None:
                out.append(parsed)
    return tuple(out)


def _webhook(
    kind: str, configuration: str, hook: object, source: Source
) -> AdmissionWebhook | None:
    if not isinstance(hook, Mapping):
        return None
    client = hook.get("clientConfig")
    if not isinstance(client, Mapping):
        return None
    name = hook.get("name")
    policy = hook.get("failurePolicy")
    service = client.get("service")
    url = client.get("url")
    namespace = service_name = None
    port = DEFAULT_WEBHOOK_PORT
    if isinstance(service, Mapping):
        namespace, service_name = service.get("namespace"), service.get("name")
        if not isinstance(namespace, str) or not isinstance(service_name, str):
            return None
        written = service.get("port")
        if isinstance(written, int) and 1 <= written <= 65535:
            port = written
        url = None
    elif not isinstance(url, str):
        return None
    return AdmissionWebhook(
        configuration_kind=kind,
        configuration=configuration,
        name=name if isinstance(name, str) else "",
        failure_policy=policy if isinstance(policy, str) else "Fail",
        service_namespace=namespace,
        service_name=service_name,
        service_port=port,
        url=url,
        source=source,
    )
