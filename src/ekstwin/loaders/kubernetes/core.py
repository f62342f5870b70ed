"""Namespaces, Nodes, ServiceAccounts, ConfigMaps and Secrets."""

from __future__ import annotations

from ekstwin.findings import Diagnostic
from ekstwin.loaders.credentials import is_credential_key
from ekstwin.loaders.kubernetes.awsauth import aws_auth, not_string_values
from ekstwin.loaders.kubernetes.fields import as_bool, as_list, as_map, as_str, str_map, type_name
from ekstwin.loaders.kubernetes.kinds import CORE_GROUPS, CREDENTIALS_KEY, HAD_VALUES_KEY
from ekstwin.loaders.kubernetes.objects import KindHandler, KubeObjects, in_groups
from ekstwin.model.k8s import (
    NAMESPACE_NAME_LABEL,
    ConfigMap,
    Meta,
    Namespace,
    Node,
    Secret,
    ServiceAccount,
)

__all__ = ["HANDLERS", "secret_of"]


def secret_of(doc: dict[str, object], meta: Meta) -> Secret:
    data = as_map(doc.get("data"), "/data")
    string_data = as_map(doc.get("stringData"), "/stringData")
    keys = tuple(sorted({*map(str, data), *map(str, string_data)}))
    filled = tuple(
        sorted({str(k) for part in (data, string_data) for k, v in part.items() if v is True})
    )
    judged = doc.get(CREDENTIALS_KEY)
    if isinstance(judged, dict):
        credentials = tuple(sorted((str(k), str(v)) for k, v in judged.items()))
    else:  # values dropped before they could be judged: the key names say what they can
        credentials = tuple(
            (k, f"the key {k} names a credential (the value was not judged)")
            for k in (filled or keys)
            if is_credential_key(k)
        )
    return Secret(
        meta=meta,
        type=as_str(doc.get("type"), "/type") or "Opaque",
        keys=keys,
        had_values=bool(doc.get(HAD_VALUES_KEY, False)),
        keys_with_values=filled,
        credentials=credentials,
    )


def _node(doc: dict[str, object], meta: Meta) -> Node:
    status = as_map(doc.get("status"), "/status")
    internal = None
    for a in as_list(status.get("addresses"), "/status/addresses"):
        if isinstance(a, dict) and a.get("type") == "InternalIP":
            internal = str(a.get("address"))
            break
    spec = as_map(doc.get("spec"), "/spec")
    provider = as_str(spec.get("providerID"), "/spec/providerID") or ""
    labels = meta.labels
    return Node(
        meta=meta,
        instance_type=labels.get("node.kubernetes.io/instance-type")
        or labels.get("beta.kubernetes.io/instance-type"),
        zone=labels.get("topology.kubernetes.io/zone")
        or labels.get("failure-domain.beta.kubernetes.io/zone"),
        internal_ip=internal,
        instance_id=provider.rsplit("/", 1)[-1] if provider.startswith("aws://") else None,
    )


def _namespace(meta: Meta) -> Namespace:
    labels = dict(meta.labels)
    labels[NAMESPACE_NAME_LABEL] = meta.name
    return Namespace(
        meta=Meta(
            api_version=meta.api_version,
            kind=meta.kind,
            name=meta.name,
            namespace=None,
            source=meta.source,
            labels=labels,
            annotations=meta.annotations,
            owners=meta.owners,
            lines=meta.lines,
        )
    )


def _service_account(objs: KubeObjects, data: dict[str, object], meta: Meta) -> None:
    objs.service_accounts.append(
        ServiceAccount(
            meta=meta,
            automount_token=as_bool(
                data.get("automountServiceAccountToken"), "/automountServiceAccountToken"
            ),
            image_pull_secrets=tuple(
                str(s.get("name"))
                for s in as_list(data.get("imagePullSecrets"), "/imagePullSecrets")
                if isinstance(s, dict) and s.get("name")
            ),
        )
    )


def _config_map(objs: KubeObjects, data: dict[str, object], meta: Meta) -> None:
    cm = ConfigMap(meta=meta, data=str_map(data.get("data"), "/data"))
    objs.config_maps.append(cm)
    if meta.name == "aws-auth" and meta.namespace == "kube-system":
        not_text = not_string_values(data.get("data"))
        if not_text:
            # The API server takes only strings in data: no aws-auth exists.
            for key, value in not_text:
                objs.diagnostics.append(
                    Diagnostic(
                        meta.line_of(f"/data/{key}"),
                        f"aws-auth data.{key} is {type_name(value)}, not a string: the API "
                        "server rejects the ConfigMap, so the cluster has no aws-auth",
                        f"write data.{key} as a YAML block string ({key}: |)",
                        code="aws-auth",
                    )
                )
        else:
            found: list[Diagnostic] = []
            objs.aws_auth = aws_auth(cm, found)
            objs.diagnostics.extend(found)


#: Secrets are not here: any document whose kind says Secret is one, whatever its
#: group (``add_document`` reads it with :func:`secret_of` before this table).
HANDLERS: dict[tuple[str, str], KindHandler] = in_groups(
    CORE_GROUPS,
    {
        "Namespace": lambda objs, data, meta: objs.namespaces.append(_namespace(meta)),
        "Node": lambda objs, data, meta: objs.nodes.append(_node(data, meta)),
        "ServiceAccount": _service_account,
        "ConfigMap": _config_map,
    },
)
