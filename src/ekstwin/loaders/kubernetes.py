"""Build typed model objects from Kubernetes, Calico and Istio documents.

Each document is converted on its own; a malformed one becomes a
:class:`Diagnostic` (file, line, what, what to do) and the others still load.
Kinds the model does not read are kept as opaque objects and counted.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import NoReturn

import yaml

from ekstwin.errors import EkstwinError, SelectorSyntaxError
from ekstwin.findings import Diagnostic, DiagnosticLevel
from ekstwin.loaders.credentials import REDACTED, credential_reason, is_credential_key
from ekstwin.loaders.interface import InputFormat, Loaded
from ekstwin.loaders.yamldocs import Document
from ekstwin.model.adminpolicy import (
    BASELINE_NAME,
    PRIORITY_MAX,
    PRIORITY_MIN,
    AdminAction,
    AdminNetworkPolicy,
    AdminPeer,
    AdminPort,
    AdminRule,
    AdminSubject,
)
from ekstwin.model.calico import (
    DEFAULT_TIER,
    Action,
    CalicoPolicy,
    CalicoPort,
    CalicoRule,
    EntityRule,
    HttpMatch,
    IcmpMatch,
    NetworkSet,
    PolicyScope,
    ServiceAccountMatch,
    ServiceMatch,
    Tier,
)
from ekstwin.model.images import PullPolicy, default_pull_policy, parse_image
from ekstwin.model.istio import (
    AuthorizationPolicy,
    AuthzCondition,
    AuthzOperation,
    AuthzRule,
    AuthzSource,
    DestinationRule,
    HttpRoute,
    PeerAuthentication,
    RouteDestination,
    Subset,
    TargetRef,
    VirtualService,
    WorkloadSelector,
)
from ekstwin.model.k8s import (
    DEFAULT_NAMESPACE,
    ENV_VALUES_KEPT,
    FLAG_VALUES_ALWAYS_KEPT,
    FLAG_VALUES_KEPT,
    FLAGS_WITHOUT_VALUE,
    NAMESPACE_NAME_LABEL,
    AwsAuth,
    AwsAuthEntry,
    AwsAuthSso,
    ConfigMap,
    Container,
    ContainerKind,
    ContainerPort,
    Ingress,
    IngressBackend,
    IngressClass,
    IngressPath,
    IngressRule,
    IngressTls,
    IpBlock,
    Meta,
    Namespace,
    NetpolPeer,
    NetpolPort,
    NetpolRule,
    NetworkPolicy,
    Node,
    OpaqueObject,
    OwnerRef,
    PersistentVolume,
    PersistentVolumeClaim,
    Pod,
    PodSpec,
    PolicyRule,
    Protocol,
    Role,
    RoleBinding,
    RoleRef,
    Secret,
    Service,
    ServiceAccount,
    ServicePort,
    StorageClass,
    Subject,
    VolumeClaimTemplate,
    Workload,
    WorkloadKind,
)
from ekstwin.model.selectors import (
    LabelSelector,
    Selector,
    label_problem,
    parse_calico_selector,
)
from ekstwin.model.source import ObjectRef, Source
from ekstwin.model.vpc import SecurityGroupPolicy

CALICO_GROUPS = frozenset({"projectcalico.org", "crd.projectcalico.org"})

#: Kinds whose documents keep a line for each of their parts.
LINE_KINDS = frozenset(
    {
        "NetworkPolicy",
        "GlobalNetworkPolicy",
        "AdminNetworkPolicy",
        "BaselineAdminNetworkPolicy",
        "AuthorizationPolicy",
        "PeerAuthentication",
        "VirtualService",
        "Role",
        "ClusterRole",
        "Ingress",
        "ConfigMap",
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "Job",
        "CronJob",
        "Pod",
        "SecurityGroupPolicy",
    }
)

CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "StorageClass",
        "ClusterRole",
        "ClusterRoleBinding",
        "GlobalNetworkPolicy",
        "GlobalNetworkSet",
        "Tier",
        "AdminNetworkPolicy",
        "BaselineAdminNetworkPolicy",
        "IngressClass",
        "CustomResourceDefinition",
        "PriorityClass",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "APIService",
        "CSIDriver",
        "FelixConfiguration",
        "BGPConfiguration",
        "IPPool",
        "HostEndpoint",
        "ClusterInformation",
    }
)

WORKLOAD_KINDS = {k.value: k for k in WorkloadKind}

#: Namespaced kinds the model reads: without metadata.namespace they land in
#: ``default``, as ``kubectl apply`` would put them. Other kinds keep the
#: namespace they were given (none when absent): whether they are namespaced
#: is not known.
NAMESPACED = frozenset(
    {*WORKLOAD_KINDS, "Pod", "Service", "Ingress", "NetworkPolicy", "ServiceAccount", "Role",
     "RoleBinding", "ConfigMap", "Secret", "PersistentVolumeClaim", "NetworkSet",
     "AuthorizationPolicy", "PeerAuthentication", "VirtualService", "DestinationRule",
     "Endpoints", "EndpointSlice", "ResourceQuota", "LimitRange", "PodDisruptionBudget",
     "HorizontalPodAutoscaler", "Lease", "Event", "ControllerRevision", "SecurityGroupPolicy"}
)  # fmt: skip


def _namespace_of(kind: str, given: str | None) -> str | None:
    if kind in CLUSTER_SCOPED:
        return None
    if given is None and kind in NAMESPACED:
        return DEFAULT_NAMESPACE
    return given


#: Set by the reader on a Secret document whose values it dropped.
HAD_VALUES_KEY = "ekstwin.io/had-values"
#: ... and, for each key whose value looked like a credential, why (absent when the
#: values were dropped before they could be judged).
CREDENTIALS_KEY = "ekstwin.io/credentials"


def is_secret_document(data: Mapping[str, object]) -> bool:
    """Whether a document is read as a Kubernetes Secret: the one answer that both the
    model and the redaction of values go by.

    Any document whose ``kind`` is ``Secret`` is one, whatever its ``apiVersion``
    (``V1``, ``" v1"``, ``1``, none): Kubernetes has one Secret kind, a document that
    says Secret with another version is a Secret written wrongly, and its values must
    be dropped either way. The kind is compared as the reader compares names it
    forgives (case and surrounding blanks ignored).
    """
    kind = data.get("kind")
    return isinstance(kind, str) and kind.strip().lower() == "secret"


class InvalidDocument(EkstwinError):
    """A document is malformed; ``pointer`` says where inside it."""

    def __init__(self, message: str, pointer: str = "", hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.pointer = pointer
        self.hint = hint


def _fail(message: str, pointer: str, hint: str = "") -> NoReturn:
    raise InvalidDocument(message, pointer, hint)


#: Problems confined to one entry of the document being converted (the entry
#: is left out, the object kept); collected per document by the reader.
_ENTRY_PROBLEMS: ContextVar[list[InvalidDocument] | None] = ContextVar(
    "ekstwin_entry_problems", default=None
)

_CONTAINER_PORT_FIELDS = frozenset({"containerPort", "hostIP", "hostPort", "name", "protocol"})
_SERVICE_PORT_FIELDS = frozenset(
    {"name", "protocol", "appProtocol", "port", "targetPort", "nodePort"}
)
_NETPOL_PORT_FIELDS = frozenset({"protocol", "port", "endPort"})
_NETPOL_PEER_FIELDS = frozenset({"podSelector", "namespaceSelector", "ipBlock"})
_CONTAINER_FIELDS = frozenset(
    {"name", "image", "command", "args", "workingDir", "ports", "envFrom", "env", "resources",
     "resizePolicy", "restartPolicy", "restartPolicyRules", "volumeMounts", "volumeDevices",
     "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "terminationMessagePath",
     "terminationMessagePolicy", "imagePullPolicy", "securityContext", "stdin", "stdinOnce",
     "tty", "targetContainerName"}
)  # fmt: skip


def _did_you_mean(field_name: str, known: frozenset[str]) -> str | None:
    by_case = {k.lower(): k for k in known}
    if field_name.lower() in by_case:
        return by_case[field_name.lower()]
    close = difflib.get_close_matches(field_name, sorted(known), n=1, cutoff=0.75)
    return close[0] if close else None


def _unknown_fields(
    entry: Mapping[str, object], known: frozenset[str], pointer: str, outcome: str
) -> bool:
    """Report each field of ``entry`` its type does not have (a misspelling, as a
    strict API server reports it); True when there was one."""
    unknown = [str(k) for k in entry if k not in known]
    for name in unknown:
        guess = _did_you_mean(name, known)
        problem = InvalidDocument(
            f"{pointer}: unknown field {name}"
            + (f" (did you mean {guess}?)" if guess else "")
            + f"; {outcome}",
            f"{pointer}/{name.replace('~', '~0').replace('/', '~1')}",
            f"rename it to {guess}" if guess else "remove the field",
        )
        problems = _ENTRY_PROBLEMS.get()
        if problems is None:
            raise problem
        problems.append(problem)
    return bool(unknown)


@dataclass
class KubeObjects:
    """What the documents held, by kind, before workloads are expanded."""

    namespaces: list[Namespace] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)
    pods: list[Pod] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    ingresses: list[Ingress] = field(default_factory=list)
    ingress_classes: list[IngressClass] = field(default_factory=list)
    network_policies: list[NetworkPolicy] = field(default_factory=list)
    service_accounts: list[ServiceAccount] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    role_bindings: list[RoleBinding] = field(default_factory=list)
    config_maps: list[ConfigMap] = field(default_factory=list)
    secrets: list[Secret] = field(default_factory=list)
    storage_classes: list[StorageClass] = field(default_factory=list)
    pvcs: list[PersistentVolumeClaim] = field(default_factory=list)
    pvs: list[PersistentVolume] = field(default_factory=list)
    calico_policies: list[CalicoPolicy] = field(default_factory=list)
    network_sets: list[NetworkSet] = field(default_factory=list)
    tiers: list[Tier] = field(default_factory=list)
    admin_network_policies: list[AdminNetworkPolicy] = field(default_factory=list)
    security_group_policies: list[SecurityGroupPolicy] = field(default_factory=list)
    authorization_policies: list[AuthorizationPolicy] = field(default_factory=list)
    peer_authentications: list[PeerAuthentication] = field(default_factory=list)
    virtual_services: list[VirtualService] = field(default_factory=list)
    destination_rules: list[DestinationRule] = field(default_factory=list)
    opaque: list[OpaqueObject] = field(default_factory=list)
    aws_auth: AwsAuth | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)


# -- small typed accessors ---------------------------------------------------


def _map(value: object, pointer: str, what: str = "a mapping") -> dict[str, object]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        _fail(f"{pointer or 'the document'} must be {what}, not {_type(value)}", pointer)
    return value


def _list(value: object, pointer: str) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        _fail(f"{pointer} must be a list, not {_type(value)}", pointer)
    return value


def _str(value: object, pointer: str, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            _fail(f"{pointer} is required", pointer)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        _fail(f"{pointer} must be a string, not {_type(value)}", pointer)
    return str(value)


def _req_str(value: object, pointer: str) -> str:
    s = _str(value, pointer, required=True)
    assert s is not None
    return s


def _int(value: object, pointer: str, default: int | None = None) -> int | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        _fail(f"{pointer} must be an integer, not {value!r}", pointer)
    return value


def _bool(value: object, pointer: str, default: bool | None = None) -> bool | None:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    _fail(f"{pointer} must be true or false, not {value!r}", pointer)


def _str_map(value: object, pointer: str) -> dict[str, str]:
    return {str(k): ("" if v is None else str(v)) for k, v in _map(value, pointer).items()}


def _labels(value: object, pointer: str) -> dict[str, str]:
    """A ``labels`` mapping, each key and value checked as the API server checks them."""
    labels = _str_map(value, pointer)
    for key, text in labels.items():
        problem = label_problem(key, text)
        if problem is not None:
            _fail(
                f"{pointer}: {problem}",
                f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}",
                "fix the label; the API server refuses the object as it is",
            )
    return labels


#: A port name (IANA_SVC_NAME): at most 15 lowercase letters, digits and
#: single inner hyphens, with at least one letter.
_PORT_NAME = re.compile(r"(?=.*[a-z])[a-z0-9](?:-?[a-z0-9])*")


def _port_in_range(value: int | None, pointer: str, *, zero: bool = False) -> int | None:
    if value is not None and not (0 if zero else 1) <= value <= 65535:
        _fail(
            f"{pointer} {value} is not a port: it must be {'0-' if zero else '1-'}65535",
            pointer,
        )
    return value


def _port_or_name(value: int | str | None, pointer: str) -> int | str | None:
    """A port given by number (1-65535) or by name (IANA_SVC_NAME), as the API
    server validates ``targetPort`` and a NetworkPolicy's ``port``."""
    if isinstance(value, int):
        return _port_in_range(value, pointer)
    if isinstance(value, str) and (len(value) > 15 or not _PORT_NAME.fullmatch(value)):
        _fail(
            f"{pointer} {value!r} is neither a port number nor a port name",
            pointer,
            "a port name has at most 15 lowercase letters, digits or inner hyphens, "
            "and at least one letter",
        )
    return value


def _enum(value: str | None, allowed: tuple[str, ...], pointer: str) -> str | None:
    if value is not None and value not in allowed:
        _fail(
            f"{pointer}: unsupported value {value!r}",
            pointer,
            f"use one of {', '.join(allowed)} (the API server accepts no other)",
        )
    return value


def _str_list(value: object, pointer: str) -> tuple[str, ...]:
    return tuple(_req_str(v, f"{pointer}/{i}") for i, v in enumerate(_list(value, pointer)))


def _type(value: object) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _port_value(value: object, pointer: str) -> int | str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        _fail(f"{pointer} must be a port number or name", pointer)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value) if value.isdigit() else value
    _fail(f"{pointer} must be a port number or name, not {_type(value)}", pointer)


def _protocol(value: object, pointer: str) -> Protocol:
    if value is None:
        return Protocol.TCP
    try:
        return Protocol(str(value))
    except ValueError:
        _fail(
            f"{pointer}: unknown protocol {value!r}",
            pointer,
            "use TCP, UDP or SCTP (upper case, as the API server requires)",
        )


def _label_selector(value: object, pointer: str) -> LabelSelector:
    try:
        return LabelSelector.from_obj(value if value is not None else {})
    except SelectorSyntaxError as exc:
        _fail(f"{pointer}: {exc.reason}", pointer, "fix the label selector")


def _calico_selector(value: object, pointer: str) -> Selector:
    text = _str(value, pointer) or ""
    try:
        return parse_calico_selector(text)
    except SelectorSyntaxError as exc:
        _fail(
            f"{pointer}: selector does not parse: {exc.reason} at column {exc.column} in {text!r}",
            pointer,
            "fix the Calico selector expression (see the Calico selector reference)",
        )


def _opt_calico_selector(value: object, pointer: str) -> Selector | None:
    return None if value is None else _calico_selector(value, pointer)


def _field_selector(value: object, pointer: str) -> Selector | None:
    """An optional selector field of Calico's API: an omitempty string, so an
    empty string is the same as an absent field (libcalico-go acts only on
    non-empty values when it converts rules and policies)."""
    if value is None or value == "":
        return None
    return _calico_selector(value, pointer)


_ONLY_GLOBAL = re.compile(r"\s*global\(\s*\)\s*")
_GLOBAL_HINT = "use global() only as a rule's whole source/destination namespaceSelector"


def _no_global(value: object, pointer: str) -> None:
    """Calico's API validation: ``global()`` may appear only in an EntityRule's
    namespaceSelector (it rejects the text ``global(`` anywhere else)."""
    if isinstance(value, str) and "global(" in value:
        _fail(
            f"{pointer}: global() can only be used in a rule's namespaceSelector",
            pointer,
            _GLOBAL_HINT,
        )


def _global_alone(value: object, pointer: str) -> None:
    """Calico's API validation: a namespaceSelector holding ``global()`` holds nothing else."""
    if isinstance(value, str) and "global(" in value and not _ONLY_GLOBAL.fullmatch(value):
        _fail(f"{pointer}: global() cannot be combined with other selectors", pointer, _GLOBAL_HINT)


# -- metadata ----------------------------------------------------------------


def _meta(doc: dict[str, object], source: Source, lines: dict[str, int]) -> Meta:
    api_version = _str(doc.get("apiVersion"), "/apiVersion") or ""
    kind = _req_str(doc.get("kind"), "/kind")
    md = _map(doc.get("metadata"), "/metadata")
    name = _str(md.get("name"), "/metadata/name")
    if not name:
        generate = _str(md.get("generateName"), "/metadata/generateName")
        if not generate:
            _fail("metadata.name is missing", "/metadata", "give the object a metadata.name")
        name = generate + "ekstw"
    if name in (".", "..") or "/" in name or "%" in name:
        # apimachinery's ValidatePathSegmentName: every kind's name is a URL path segment
        _fail(
            f"metadata.name {name!r} may not be '.' or '..' and may not contain '/' or '%' "
            "(the API server refuses it)",
            "/metadata/name",
            "give the object a name of lower-case letters, digits, '-' and '.'",
        )
    namespace = _namespace_of(kind, _str(md.get("namespace"), "/metadata/namespace"))
    owners = tuple(
        OwnerRef(
            kind=_req_str(o.get("kind"), f"/metadata/ownerReferences/{i}/kind"),
            name=_req_str(o.get("name"), f"/metadata/ownerReferences/{i}/name"),
            controller=bool(o.get("controller", False)),
        )
        for i, o in enumerate(
            _map(x, f"/metadata/ownerReferences/{j}")
            for j, x in enumerate(_list(md.get("ownerReferences"), "/metadata/ownerReferences"))
        )
    )
    return Meta(
        api_version=api_version,
        kind=kind,
        name=name,
        namespace=namespace,
        source=source,
        labels=_labels(md.get("labels"), "/metadata/labels"),
        annotations=_str_map(md.get("annotations"), "/metadata/annotations"),
        owners=owners,
        lines=lines,
    )


def _at(meta: Meta, pointer: str) -> Source:
    return meta.line_of(pointer)


# -- pods and workloads ------------------------------------------------------


def _containers(spec: dict[str, object], base: str) -> tuple[Container, ...]:
    out: list[Container] = []
    for field_name, kind in (
        ("initContainers", ContainerKind.INIT),
        ("containers", ContainerKind.CONTAINER),
        ("ephemeralContainers", ContainerKind.EPHEMERAL),
    ):
        for i, raw in enumerate(_list(spec.get(field_name), f"{base}/{field_name}")):
            ptr = f"{base}/{field_name}/{i}"
            c = _map(raw, ptr)
            name = _req_str(c.get("name"), f"{ptr}/name")
            image_text = _str(c.get("image"), f"{ptr}/image")
            if not image_text:
                _fail(f"container {name!r} has no image", f"{ptr}/image", "set the image")
            image = parse_image(image_text)
            policy_text = _str(c.get("imagePullPolicy"), f"{ptr}/imagePullPolicy")
            if policy_text is None:
                policy, defaulted = default_pull_policy(image), True
            else:
                try:
                    policy, defaulted = PullPolicy(policy_text), False
                except ValueError:
                    _fail(
                        f"{ptr}/imagePullPolicy: unknown policy {policy_text!r}",
                        f"{ptr}/imagePullPolicy",
                        "use Always, IfNotPresent or Never",
                    )
            ports: list[ContainerPort] = []
            _unknown_fields(c, _CONTAINER_FIELDS, ptr, "the field was ignored")
            for j, rp in enumerate(_list(c.get("ports"), f"{ptr}/ports")):
                pptr = f"{ptr}/ports/{j}"
                p = _map(rp, pptr)
                if _unknown_fields(p, _CONTAINER_PORT_FIELDS, pptr, "that port was left out"):
                    continue
                if isinstance(p.get("containerPort"), str):
                    # The API server refuses a string here, even "8080".
                    _fail(
                        f"{pptr}/containerPort must be an integer, not a string",
                        f"{pptr}/containerPort",
                        "write the port number without quotes; names go in ports[].name",
                    )
                number = _int(p.get("containerPort"), f"{pptr}/containerPort")
                if number is None or not 1 <= number <= 65535:
                    _fail(f"{pptr}/containerPort must be 1-65535", f"{pptr}/containerPort")
                ports.append(
                    ContainerPort(
                        container_port=number,
                        protocol=_protocol(p.get("protocol"), f"{pptr}/protocol"),
                        name=_str(p.get("name"), f"{pptr}/name"),
                        host_port=_port_in_range(
                            _int(p.get("hostPort"), f"{pptr}/hostPort"),
                            f"{pptr}/hostPort",
                            zero=True,
                        ),
                    )
                )
            env: list[tuple[str, str | None]] = []
            literal: set[str] = set()
            for j, re_ in enumerate(_list(c.get("env"), f"{ptr}/env")):
                e = _map(re_, f"{ptr}/env/{j}")
                env_name = _req_str(e.get("name"), f"{ptr}/env/{j}/name")
                value = e.get("value")
                kept = value if env_name in ENV_VALUES_KEPT and isinstance(value, str) else None
                env.append((env_name, kept))
                if value is not None and "valueFrom" not in e:
                    literal.add(env_name)
            out.append(
                Container(
                    name=name,
                    image=image,
                    pull_policy=policy,
                    pull_policy_defaulted=defaulted,
                    ports=tuple(ports),
                    kind=kind,
                    restart_policy=_str(c.get("restartPolicy"), f"{ptr}/restartPolicy"),
                    pointer=ptr,
                    env=tuple(env),
                    env_from=bool(_list(c.get("envFrom"), f"{ptr}/envFrom")),
                    env_literal=frozenset(literal),
                    command=tuple(
                        x for x in _list(c.get("command"), f"{ptr}/command") if isinstance(x, str)
                    ),
                    args=tuple(
                        x for x in _list(c.get("args"), f"{ptr}/args") if isinstance(x, str)
                    ),
                )
            )
    return tuple(out)


def _pod_spec(raw: object, base: str) -> PodSpec:
    spec = _map(raw, base)
    claims: list[str] = []
    for i, v in enumerate(_list(spec.get("volumes"), f"{base}/volumes")):
        vol = _map(v, f"{base}/volumes/{i}")
        pvc = vol.get("persistentVolumeClaim")
        if isinstance(pvc, dict) and pvc.get("claimName"):
            claims.append(str(pvc["claimName"]))
    sa = _str(spec.get("serviceAccountName"), f"{base}/serviceAccountName") or _str(
        spec.get("serviceAccount"), f"{base}/serviceAccount"
    )
    return PodSpec(
        containers=_containers(spec, base),
        service_account=sa or "default",
        node_name=_str(spec.get("nodeName"), f"{base}/nodeName"),
        host_network=bool(_bool(spec.get("hostNetwork"), f"{base}/hostNetwork", False)),
        node_selector=_str_map(spec.get("nodeSelector"), f"{base}/nodeSelector"),
        claim_names=tuple(claims),
        automount_service_account_token=_bool(
            spec.get("automountServiceAccountToken"), f"{base}/automountServiceAccountToken"
        ),
    )


def _pod(doc: dict[str, object], meta: Meta) -> Pod:
    status = _map(doc.get("status"), "/status")
    return Pod(
        meta=meta,
        spec=_pod_spec(doc.get("spec"), "/spec"),
        ip=_str(status.get("podIP"), "/status/podIP"),
        host_ip=_str(status.get("hostIP"), "/status/hostIP"),
        phase=_str(status.get("phase"), "/status/phase"),
    )


def _claim_templates(spec: dict[str, object]) -> tuple[VolumeClaimTemplate, ...]:
    out = []
    for i, raw in enumerate(_list(spec.get("volumeClaimTemplates"), "/spec/volumeClaimTemplates")):
        ptr = f"/spec/volumeClaimTemplates/{i}"
        t = _map(raw, ptr)
        md = _map(t.get("metadata"), f"{ptr}/metadata")
        tspec = _map(t.get("spec"), f"{ptr}/spec")
        requests = _map(
            _map(tspec.get("resources"), f"{ptr}/spec/resources").get("requests"),
            f"{ptr}/spec/resources/requests",
        )
        out.append(
            VolumeClaimTemplate(
                name=_req_str(md.get("name"), f"{ptr}/metadata/name"),
                storage_class_name=_str(
                    tspec.get("storageClassName"), f"{ptr}/spec/storageClassName"
                ),
                access_modes=_str_list(tspec.get("accessModes"), f"{ptr}/spec/accessModes"),
                storage=_str(requests.get("storage"), f"{ptr}/spec/resources/requests/storage"),
            )
        )
    return tuple(out)


def _workload(doc: dict[str, object], meta: Meta, kind: WorkloadKind) -> Workload:
    spec = _map(doc.get("spec"), "/spec")
    base = "/spec"
    schedule = None
    if kind is WorkloadKind.CRON_JOB:
        schedule = _str(spec.get("schedule"), "/spec/schedule")
        job = _map(spec.get("jobTemplate"), "/spec/jobTemplate")
        spec = _map(job.get("spec"), "/spec/jobTemplate/spec")
        base = "/spec/jobTemplate/spec"
    template = _map(spec.get("template"), f"{base}/template")
    tmeta = _map(template.get("metadata"), f"{base}/template/metadata")
    if kind in (WorkloadKind.JOB, WorkloadKind.CRON_JOB):
        parallelism = _int(spec.get("parallelism"), f"{base}/parallelism", 1) or 0
        completions = _int(spec.get("completions"), f"{base}/completions")
        replicas = min(parallelism, completions) if completions is not None else parallelism
    elif kind is WorkloadKind.DAEMON_SET:
        replicas = 0
    else:
        replicas = _int(spec.get("replicas"), f"{base}/replicas", 1) or 0
    selector_raw = spec.get("selector")
    selector = (
        _label_selector(selector_raw, f"{base}/selector")
        if isinstance(selector_raw, dict)
        else None
    )
    retention = _str_map(
        spec.get("persistentVolumeClaimRetentionPolicy"),
        "/spec/persistentVolumeClaimRetentionPolicy",
    )
    return Workload(
        meta=meta,
        kind=kind,
        replicas=max(replicas, 0),
        selector=selector,
        template_labels=_labels(tmeta.get("labels"), f"{base}/template/metadata/labels"),
        template_annotations=_str_map(
            tmeta.get("annotations"), f"{base}/template/metadata/annotations"
        ),
        spec=_pod_spec(template.get("spec"), f"{base}/template/spec"),
        volume_claim_templates=(
            _claim_templates(spec) if kind is WorkloadKind.STATEFUL_SET else ()
        ),
        service_name=_str(spec.get("serviceName"), "/spec/serviceName"),
        schedule=schedule,
        pvc_retention=retention,
    )


# -- services and ingress ----------------------------------------------------


def _service(doc: dict[str, object], meta: Meta) -> Service:
    spec = _map(doc.get("spec"), "/spec")
    ports = []
    for i, raw in enumerate(_list(spec.get("ports"), "/spec/ports")):
        ptr = f"/spec/ports/{i}"
        p = _map(raw, ptr)
        if _unknown_fields(p, _SERVICE_PORT_FIELDS, ptr, "that port was left out"):
            continue
        port = _port_in_range(_int(p.get("port"), f"{ptr}/port"), f"{ptr}/port")
        if port is None:
            _fail(f"{ptr}/port is required", f"{ptr}/port")
        target = _port_value(p.get("targetPort"), f"{ptr}/targetPort")
        if target in (0, ""):
            target = None  # the API server defaults it to the port
        target = _port_or_name(target, f"{ptr}/targetPort")
        ports.append(
            ServicePort(
                port=port,
                target_port=port if target is None else target,
                protocol=_protocol(p.get("protocol"), f"{ptr}/protocol"),
                name=_str(p.get("name"), f"{ptr}/name"),
                node_port=_port_in_range(
                    _int(p.get("nodePort"), f"{ptr}/nodePort"), f"{ptr}/nodePort", zero=True
                ),
            )
        )
    selector = spec.get("selector")
    lb = _map(_map(doc.get("status"), "/status").get("loadBalancer"), "/status/loadBalancer")
    hostnames = tuple(
        str(e.get("hostname") or e.get("ip"))
        for e in _list(lb.get("ingress"), "/status/loadBalancer/ingress")
        if isinstance(e, dict) and (e.get("hostname") or e.get("ip"))
    )
    return Service(
        meta=meta,
        type=_enum(
            _str(spec.get("type"), "/spec/type"),
            ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"),
            "/spec/type",
        )
        or "ClusterIP",
        selector=_str_map(selector, "/spec/selector") if selector is not None else None,
        ports=tuple(ports),
        cluster_ip=_str(spec.get("clusterIP"), "/spec/clusterIP"),
        external_name=_str(spec.get("externalName"), "/spec/externalName"),
        load_balancer_hostnames=hostnames,
        load_balancer_class=_str(spec.get("loadBalancerClass"), "/spec/loadBalancerClass"),
        ip_families=tuple(
            _req_str(f, f"/spec/ipFamilies/{i}")
            for i, f in enumerate(_list(spec.get("ipFamilies"), "/spec/ipFamilies"))
        ),
    )


def _backend(raw: object, ptr: str) -> IngressBackend:
    b = _map(raw, ptr)
    svc = b.get("service")
    if isinstance(svc, dict):
        port = _map(svc.get("port"), f"{ptr}/service/port")
        number = _int(port.get("number"), f"{ptr}/service/port/number")
        return IngressBackend(
            service_name=_str(svc.get("name"), f"{ptr}/service/name"),
            service_port=number if number is not None else _str(port.get("name"), ptr),
        )
    if "serviceName" in b:  # networking.k8s.io/v1beta1, extensions/v1beta1
        return IngressBackend(
            service_name=_str(b.get("serviceName"), f"{ptr}/serviceName"),
            service_port=_port_value(b.get("servicePort"), f"{ptr}/servicePort"),
        )
    resource = b.get("resource")
    return IngressBackend(
        service_name=None,
        service_port=None,
        resource=_str_map(resource, f"{ptr}/resource") if resource is not None else None,
    )


def _ingress(doc: dict[str, object], meta: Meta) -> Ingress:
    spec = _map(doc.get("spec"), "/spec")
    rules = []
    for i, raw in enumerate(_list(spec.get("rules"), "/spec/rules")):
        ptr = f"/spec/rules/{i}"
        r = _map(raw, ptr)
        http = _map(r.get("http"), f"{ptr}/http")
        paths = []
        for j, rp in enumerate(_list(http.get("paths"), f"{ptr}/http/paths")):
            pptr = f"{ptr}/http/paths/{j}"
            p = _map(rp, pptr)
            paths.append(
                IngressPath(
                    path=_str(p.get("path"), f"{pptr}/path"),
                    path_type=_enum(
                        _str(p.get("pathType"), f"{pptr}/pathType"),
                        ("Exact", "Prefix", "ImplementationSpecific"),
                        f"{pptr}/pathType",
                    )
                    or "ImplementationSpecific",
                    backend=_backend(p.get("backend"), f"{pptr}/backend"),
                    pointer=pptr,
                )
            )
        rules.append(IngressRule(host=_str(r.get("host"), f"{ptr}/host"), paths=tuple(paths)))
    tls = tuple(
        IngressTls(
            hosts=_str_list(_map(t, f"/spec/tls/{i}").get("hosts"), f"/spec/tls/{i}/hosts"),
            secret_name=_str(_map(t, f"/spec/tls/{i}").get("secretName"), f"/spec/tls/{i}"),
        )
        for i, t in enumerate(_list(spec.get("tls"), "/spec/tls"))
    )
    default = spec.get("defaultBackend", spec.get("backend"))
    lb = _map(_map(doc.get("status"), "/status").get("loadBalancer"), "/status/loadBalancer")
    hostnames = tuple(
        str(e.get("hostname") or e.get("ip"))
        for e in _list(lb.get("ingress"), "/status/loadBalancer/ingress")
        if isinstance(e, dict) and (e.get("hostname") or e.get("ip"))
    )
    return Ingress(
        meta=meta,
        ingress_class_name=_str(spec.get("ingressClassName"), "/spec/ingressClassName"),
        rules=tuple(rules),
        tls=tls,
        default_backend=_backend(default, "/spec/defaultBackend") if default else None,
        status_hostnames=hostnames,
    )


def _ingress_class(doc: dict[str, object], meta: Meta) -> IngressClass:
    spec = _map(doc.get("spec"), "/spec")
    params = spec.get("parameters")
    return IngressClass(
        meta=meta,
        controller=_str(spec.get("controller"), "/spec/controller") or "",
        parameters=_str_map(params, "/spec/parameters") if params is not None else None,
        is_default=meta.annotations.get("ingressclass.kubernetes.io/is-default-class") == "true",
    )


# -- network policy ----------------------------------------------------------


def _netpol_rules(raw: object, ptr: str, peers_key: str, meta: Meta) -> tuple[NetpolRule, ...]:
    out = []
    for i, rr in enumerate(_list(raw, ptr)):
        rptr = f"{ptr}/{i}"
        r = _map(rr, rptr)
        peers = []
        # A rule loses no single peer or port: an empty list would widen it to
        # every peer or every port. The whole rule is left out instead.
        skip_rule = False
        for j, rpeer in enumerate(_list(r.get(peers_key), f"{rptr}/{peers_key}")):
            pptr = f"{rptr}/{peers_key}/{j}"
            peer = _map(rpeer, pptr)
            if _unknown_fields(peer, _NETPOL_PEER_FIELDS, pptr, "the whole rule was left out"):
                skip_rule = True
                continue
            block = peer.get("ipBlock")
            ip_block = None
            if block is not None:
                b = _map(block, f"{pptr}/ipBlock")
                ip_block = IpBlock(
                    cidr=_req_str(b.get("cidr"), f"{pptr}/ipBlock/cidr"),
                    except_=_str_list(b.get("except"), f"{pptr}/ipBlock/except"),
                )
                _check_ip_block(ip_block, f"{pptr}/ipBlock")
                if "podSelector" in peer or "namespaceSelector" in peer:
                    _fail(
                        f"{pptr}: ipBlock cannot be combined with podSelector or namespaceSelector",
                        pptr,
                        "split it into separate peers",
                    )
            ps = peer.get("podSelector")
            ns = peer.get("namespaceSelector")
            if ip_block is None and ps is None and ns is None:
                _fail(f"{pptr}: a peer needs podSelector, namespaceSelector or ipBlock", pptr)
            peers.append(
                NetpolPeer(
                    pod_selector=_label_selector(ps, f"{pptr}/podSelector")
                    if ps is not None
                    else None,
                    namespace_selector=_label_selector(ns, f"{pptr}/namespaceSelector")
                    if ns is not None
                    else None,
                    ip_block=ip_block,
                )
            )
        ports = []
        for j, rport in enumerate(_list(r.get("ports"), f"{rptr}/ports")):
            pptr = f"{rptr}/ports/{j}"
            p = _map(rport, pptr)
            if _unknown_fields(p, _NETPOL_PORT_FIELDS, pptr, "the whole rule was left out"):
                skip_rule = True
                continue
            port = _port_or_name(_port_value(p.get("port"), f"{pptr}/port"), f"{pptr}/port")
            end = _port_in_range(_int(p.get("endPort"), f"{pptr}/endPort"), f"{pptr}/endPort")
            if end is not None and not isinstance(port, int):
                _fail(f"{pptr}: endPort needs a numeric port", pptr)
            if end is not None and isinstance(port, int) and end < port:
                _fail(f"{pptr}: endPort {end} is below port {port}", pptr)
            ports.append(
                NetpolPort(
                    protocol=_protocol(p.get("protocol"), f"{pptr}/protocol"),
                    port=port,
                    end_port=end,
                )
            )
        if skip_rule:
            continue
        out.append(NetpolRule(peers=tuple(peers), ports=tuple(ports), source=_at(meta, rptr)))
    return tuple(out)


def _parse_cidr(text: str, pointer: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A CIDR as the API server parses it (host bits allowed; leading zeros in an
    IPv4 octet too, as its sloppy parser reads them)."""
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        sloppy = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)\.(\d+)/(\d+)", text)
        if sloppy is not None:
            octets = ".".join(str(int(x)) for x in sloppy.groups()[:4])
            try:
                return ipaddress.ip_network(f"{octets}/{sloppy.group(5)}", strict=False)
            except ValueError:
                pass
    hint = "write a CIDR such as 198.18.0.0/15 or 2001:db8::/64"
    if "$" in text or "{" in text:
        hint += "; a template variable must be substituted before the policy is applied"
    _fail(f"{pointer}: {text!r} is not a valid CIDR", pointer, hint)


def _check_ip_block(block: IpBlock, pointer: str) -> None:
    """What the API server checks of an ipBlock (ValidateIPBlock): a valid cidr, and
    each except a valid CIDR strictly inside it."""
    net = _parse_cidr(block.cidr, f"{pointer}/cidr")
    for i, text in enumerate(block.except_):
        ptr = f"{pointer}/except/{i}"
        ex = _parse_cidr(text, ptr)
        if (
            ex.version != net.version
            or ex.network_address not in net
            or net.prefixlen >= ex.prefixlen
        ):
            _fail(
                f"{ptr}: {text!r} must be a strict subset of cidr {block.cidr!r}",
                ptr,
                "except lists ranges inside cidr, each smaller than it",
            )


def _network_policy(doc: dict[str, object], meta: Meta) -> NetworkPolicy:
    spec = _map(doc.get("spec"), "/spec")
    declared = spec.get("policyTypes")
    ingress = _netpol_rules(spec.get("ingress"), "/spec/ingress", "from", meta)
    egress = _netpol_rules(spec.get("egress"), "/spec/egress", "to", meta)
    if declared is None or declared == []:
        # The API server defaults an empty policyTypes: Ingress, and Egress
        # when the policy has egress rules (an empty ``egress: []`` has none).
        types: tuple[str, ...] = ("Ingress", "Egress") if egress else ("Ingress",)
        declared_types = None
    else:
        declared_types = _str_list(declared, "/spec/policyTypes")
        for t in declared_types:
            if t not in ("Ingress", "Egress"):
                _fail(f"/spec/policyTypes: unknown type {t!r}", "/spec/policyTypes")
        types = tuple(t for t in ("Ingress", "Egress") if t in declared_types)
    return NetworkPolicy(
        meta=meta,
        pod_selector=_label_selector(spec.get("podSelector"), "/spec/podSelector"),
        policy_types=types,
        ingress=ingress,
        egress=egress,
        declared_policy_types=declared_types,
    )


# -- Calico ------------------------------------------------------------------


def _calico_ports(raw: object, ptr: str) -> tuple[CalicoPort, ...]:
    out = []
    for i, v in enumerate(_list(raw, ptr)):
        p = f"{ptr}/{i}"
        if isinstance(v, int) and not isinstance(v, bool):
            out.append(CalicoPort(v, v))
        elif isinstance(v, str):
            if ":" in v:
                lo, _, hi = v.partition(":")
                if not (lo.isdigit() and hi.isdigit()) or int(lo) > int(hi):
                    _fail(f"{p}: bad port range {v!r}", p, "write ranges as 'first:last'")
                out.append(CalicoPort(int(lo), int(hi)))
            elif v.isdigit():
                out.append(CalicoPort(int(v), int(v)))
            else:
                out.append(CalicoPort(name=v))
        else:
            _fail(f"{p}: a port is a number, 'first:last' or a name", p)
    return tuple(out)


def _entity(raw: object, ptr: str) -> EntityRule:
    e = _map(raw, ptr)
    _no_global(e.get("selector"), f"{ptr}/selector")
    _global_alone(e.get("namespaceSelector"), f"{ptr}/namespaceSelector")
    sa = e.get("serviceAccounts")
    sa_match = None
    if sa is not None:
        s = _map(sa, f"{ptr}/serviceAccounts")
        sa_match = ServiceAccountMatch(
            names=_str_list(s.get("names"), f"{ptr}/serviceAccounts/names"),
            selector=_field_selector(s.get("selector"), f"{ptr}/serviceAccounts/selector"),
        )
        if not sa_match.names and sa_match.selector is None:
            sa_match = None  # neither names nor a selector: libcalico-go adds no match
    svc = e.get("services")
    svc_match = None
    if svc is not None:
        s = _map(svc, f"{ptr}/services")
        svc_match = ServiceMatch(
            name=_req_str(s.get("name"), f"{ptr}/services/name"),
            namespace=_str(s.get("namespace"), f"{ptr}/services/namespace"),
        )
    return EntityRule(
        nets=_str_list(e.get("nets"), f"{ptr}/nets"),
        not_nets=_str_list(e.get("notNets"), f"{ptr}/notNets"),
        selector=_field_selector(e.get("selector"), f"{ptr}/selector"),
        not_selector=_field_selector(e.get("notSelector"), f"{ptr}/notSelector"),
        namespace_selector=_field_selector(e.get("namespaceSelector"), f"{ptr}/namespaceSelector"),
        ports=_calico_ports(e.get("ports"), f"{ptr}/ports"),
        not_ports=_calico_ports(e.get("notPorts"), f"{ptr}/notPorts"),
        service_accounts=sa_match,
        services=svc_match,
    )


def _icmp(raw: object, ptr: str) -> IcmpMatch | None:
    if raw is None:
        return None
    m = _map(raw, ptr)
    return IcmpMatch(
        type=_int(m.get("type"), f"{ptr}/type"), code=_int(m.get("code"), f"{ptr}/code")
    )


def _protocol_field(raw: object, ptr: str) -> str | int | None:
    if raw is None:
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        return int(raw) if raw.isdigit() else raw.upper() if raw.lower() != "icmpv6" else "ICMPv6"
    _fail(f"{ptr}: a protocol is a name or a number", ptr)


def _calico_rules(raw: object, ptr: str, meta: Meta) -> tuple[CalicoRule, ...]:
    out = []
    for i, rr in enumerate(_list(raw, ptr)):
        rptr = f"{ptr}/{i}"
        r = _map(rr, rptr)
        action_text = _req_str(r.get("action"), f"{rptr}/action")
        action_norm = {"next-tier": "Pass"}.get(action_text.lower(), action_text.capitalize())
        try:
            action = Action(action_norm)
        except ValueError:
            _fail(
                f"{rptr}/action: unknown action {action_text!r}",
                f"{rptr}/action",
                "use Allow, Deny, Log or Pass",
            )
        http = r.get("http")
        http_match = None
        if http is not None:
            h = _map(http, f"{rptr}/http")
            paths = []
            for j, pv in enumerate(_list(h.get("paths"), f"{rptr}/http/paths")):
                pm = _map(pv, f"{rptr}/http/paths/{j}")
                for k, v in pm.items():
                    paths.append((str(k), str(v)))
            http_match = HttpMatch(
                methods=_str_list(h.get("methods"), f"{rptr}/http/methods"), paths=tuple(paths)
            )
        out.append(
            CalicoRule(
                action=action,
                protocol=_protocol_field(r.get("protocol"), f"{rptr}/protocol"),
                not_protocol=_protocol_field(r.get("notProtocol"), f"{rptr}/notProtocol"),
                icmp=_icmp(r.get("icmp"), f"{rptr}/icmp"),
                not_icmp=_icmp(r.get("notICMP"), f"{rptr}/notICMP"),
                ip_version=_int(r.get("ipVersion"), f"{rptr}/ipVersion"),
                source=_entity(r.get("source"), f"{rptr}/source"),
                destination=_entity(r.get("destination"), f"{rptr}/destination"),
                http=http_match,
                location=_at(meta, rptr),
            )
        )
    return tuple(out)


def _order(raw: object, ptr: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        _fail(f"{ptr} must be a number", ptr)
    try:
        return float(raw)
    except ValueError as exc:
        raise InvalidDocument(f"{ptr} must be a number, not {raw!r}", ptr) from exc


def _calico_policy(doc: dict[str, object], meta: Meta, scope: PolicyScope) -> CalicoPolicy:
    spec = _map(doc.get("spec"), "/spec")
    ingress = _calico_rules(spec.get("ingress"), "/spec/ingress", meta)
    egress = _calico_rules(spec.get("egress"), "/spec/egress", meta)
    declared = spec.get("types")
    if declared is None or declared == []:
        # Calico's API defaulting treats an empty list like an absent field.
        types: list[str] = []
        if ingress or not egress:
            types.append("Ingress")
        if egress:
            types.append("Egress")
        declared_types = None
    else:
        declared_types = _str_list(declared, "/spec/types")
        for t in declared_types:
            if t not in ("Ingress", "Egress"):
                _fail(f"/spec/types: unknown type {t!r}", "/spec/types", "use Ingress or Egress")
        types = [t for t in ("Ingress", "Egress") if t in declared_types]
    tier = _str(spec.get("tier"), "/spec/tier") or DEFAULT_TIER
    _no_global(spec.get("selector"), "/spec/selector")
    _no_global(spec.get("serviceAccountSelector"), "/spec/serviceAccountSelector")
    ns_sel = None
    if scope is PolicyScope.GLOBAL:
        _no_global(spec.get("namespaceSelector"), "/spec/namespaceSelector")
        ns_sel = _field_selector(spec.get("namespaceSelector"), "/spec/namespaceSelector")
    return CalicoPolicy(
        meta=meta,
        scope=scope,
        tier=tier,
        order=_order(spec.get("order"), "/spec/order"),
        selector=_calico_selector(spec.get("selector"), "/spec/selector"),
        types=tuple(types),
        ingress=ingress,
        egress=egress,
        namespace_selector=ns_sel,
        service_account_selector=_field_selector(
            spec.get("serviceAccountSelector"), "/spec/serviceAccountSelector"
        ),
        declared_types=declared_types,
        do_not_track=bool(_bool(spec.get("doNotTrack"), "/spec/doNotTrack", False)),
        pre_dnat=bool(_bool(spec.get("preDNAT"), "/spec/preDNAT", False)),
        apply_on_forward=bool(_bool(spec.get("applyOnForward"), "/spec/applyOnForward", False)),
    )


def _network_set(doc: dict[str, object], meta: Meta, is_global: bool) -> NetworkSet:
    spec = _map(doc.get("spec"), "/spec")
    return NetworkSet(
        meta=meta,
        nets=_str_list(spec.get("nets"), "/spec/nets"),
        is_global=is_global,
        allowed_egress_domains=_str_list(
            spec.get("allowedEgressDomains"), "/spec/allowedEgressDomains"
        ),
    )


def _tier(doc: dict[str, object], meta: Meta) -> Tier:
    spec = _map(doc.get("spec"), "/spec")
    action_text = _str(spec.get("defaultAction"), "/spec/defaultAction") or "Deny"
    if action_text not in ("Deny", "Pass"):
        _fail(f"/spec/defaultAction: {action_text!r}", "/spec/defaultAction", "use Deny or Pass")
    return Tier(
        meta=meta,
        order=_order(spec.get("order"), "/spec/order"),
        default_action=Action(action_text),
    )


# -- SecurityGroupPolicy (the VPC resource controller) ---------------------------

SGP_GROUP = "vpcresources.k8s.aws"
#: The CRD's bounds on spec.securityGroups.groupIds (minItems, maxItems).
SGP_GROUP_IDS = (1, 16)


def _crd_str(value: object, pointer: str) -> str:
    """A string where a CRD's schema says ``type: string``: the API server refuses a
    number or a boolean there (no coercion, unlike the core types' quantities)."""
    if not isinstance(value, str):
        _fail(f"{pointer} must be a string, not {_type(value)}", pointer, "quote the value")
    return value


def _sgp_selector(raw: object, ptr: str) -> tuple[LabelSelector | None, str | None]:
    """A selector as the CRD types it (an API error otherwise), and why the controller
    could not convert it (None when it can): LabelSelectorAsSelector fails on an
    unknown operator, missing or superfluous values, invalid keys or values."""
    if raw is None:
        return None, None
    selector = _map(raw, ptr, "a label selector")
    _unknown_fields(
        selector, frozenset({"matchLabels", "matchExpressions"}), ptr, "the field was ignored"
    )
    for key, value in _map(selector.get("matchLabels"), f"{ptr}/matchLabels").items():
        _crd_str(value, f"{ptr}/matchLabels/{key}")
    for i, item in enumerate(_list(selector.get("matchExpressions"), f"{ptr}/matchExpressions")):
        at = f"{ptr}/matchExpressions/{i}"
        req = _map(item, at, "a label selector requirement")
        for name in ("key", "operator"):
            if name not in req:
                _fail(f"{at}/{name} is required", at, f"give the requirement its {name}")
            _crd_str(req[name], f"{at}/{name}")
        for j, v in enumerate(_list(req.get("values"), f"{at}/values")):
            _crd_str(v, f"{at}/values/{j}")
    try:
        return LabelSelector.from_obj(selector), None
    except SelectorSyntaxError as exc:
        return None, f"{ptr}: {exc.reason}"


def _add_security_group_policy(objs: KubeObjects, doc: dict[str, object], meta: Meta) -> None:
    """``vpcresources.k8s.aws/v1beta1`` SecurityGroupPolicy, checked as its CRD checks
    it (aws/amazon-vpc-resource-controller-k8s config/crd/bases/
    vpcresources.k8s.aws_securitygrouppolicies.yaml): an object the API server would
    refuse is an input error. One it accepts but the controller skips (filterPodSecurity
    Groups in pkg/utils/helper.go: neither selector, no group ids, or a selector
    LabelSelectorAsSelector cannot convert) selects no pod: a warning, and left out."""
    spec = _map(doc.get("spec"), "/spec")
    _unknown_fields(
        spec,
        frozenset({"podSelector", "serviceAccountSelector", "securityGroups"}),
        "/spec",
        "the field was ignored",
    )
    pod_selector, pod_problem = _sgp_selector(spec.get("podSelector"), "/spec/podSelector")
    sa_selector, sa_problem = _sgp_selector(
        spec.get("serviceAccountSelector"), "/spec/serviceAccountSelector"
    )
    groups = _map(spec.get("securityGroups"), "/spec/securityGroups")
    _unknown_fields(
        groups, frozenset({"groupIds"}), "/spec/securityGroups", "the field was ignored"
    )
    ptr = "/spec/securityGroups/groupIds"
    raw_ids = groups.get("groupIds")
    ids = _list(raw_ids, ptr)
    low, high = SGP_GROUP_IDS
    if raw_ids is not None and not low <= len(ids) <= high:
        _fail(
            f"{ptr}: {len(ids)} security groups; the CRD allows {low} to {high}",
            ptr,
            f"list between {low} and {high} security group ids",
        )
    group_ids = tuple(_crd_str(v, f"{ptr}/{i}") for i, v in enumerate(ids))
    skipped = pod_problem or sa_problem
    if (
        skipped is None
        and spec.get("podSelector") is None
        and spec.get("serviceAccountSelector") is None
    ):
        skipped = "/spec: neither podSelector nor serviceAccountSelector is set"
    if skipped is None and not group_ids:
        skipped = "/spec/securityGroups/groupIds: no security group ids"
    if skipped is not None:
        objs.diagnostics.append(
            Diagnostic(
                meta.source,
                f"SecurityGroupPolicy {meta.namespace}/{meta.name}: {skipped}; the VPC resource "
                "controller skips it, so it gives no pod security groups",
                "fix the policy, or remove it",
                level=DiagnosticLevel.WARNING,
                code="sgp-skipped",
            )
        )
        return
    objs.security_group_policies.append(
        SecurityGroupPolicy(
            name=meta.name,
            namespace=meta.namespace or DEFAULT_NAMESPACE,
            group_ids=group_ids,
            pod_selector=pod_selector,
            service_account_selector=sa_selector,
            source=meta.source,
        )
    )


# -- AdminNetworkPolicy / BaselineAdminNetworkPolicy ---------------------------

ADMIN_POLICY_GROUP = "policy.networking.k8s.io"
_ADMIN_PEERS = {
    "ingress": ("namespaces", "pods"),
    "egress": ("namespaces", "pods", "nodes", "networks"),
}


def _one_of(raw: dict[str, object], allowed: tuple[str, ...], ptr: str, what: str) -> str:
    """The one key of ``raw`` among ``allowed``, as the CRD's one-of validation asks."""
    given = [k for k in raw if raw[k] is not None]
    unknown = [k for k in given if k not in allowed]
    if unknown:
        _fail(
            f"{ptr}: {unknown[0]!r} is not a field of {what}",
            ptr,
            f"use one of {', '.join(allowed)}",
        )
    if len(given) != 1:
        _fail(
            f"{ptr}: {what} needs exactly one of {', '.join(allowed)} (has {len(given)})",
            ptr,
            "split it into one entry per kind",
        )
    return given[0]


def _namespaced_pod(raw: object, ptr: str) -> tuple[LabelSelector, LabelSelector]:
    m = _map(raw, ptr)
    for key in ("namespaceSelector", "podSelector"):
        if key not in m:
            _fail(f"{ptr}/{key} is required", f"{ptr}/{key}", "write {} to select all")
    return (
        _label_selector(m.get("namespaceSelector"), f"{ptr}/namespaceSelector"),
        _label_selector(m.get("podSelector"), f"{ptr}/podSelector"),
    )


def _admin_peer(raw: object, ptr: str, direction: str) -> AdminPeer:
    m = _map(raw, ptr)
    key = _one_of(m, _ADMIN_PEERS[direction], ptr, f"an {direction} peer")
    if key == "namespaces":
        return AdminPeer(namespaces=_label_selector(m[key], f"{ptr}/namespaces"))
    if key == "pods":
        ns, pods = _namespaced_pod(m[key], f"{ptr}/pods")
        return AdminPeer(namespace_selector=ns, pod_selector=pods)
    if key == "nodes":
        return AdminPeer(nodes=_label_selector(m[key], f"{ptr}/nodes"))
    nets = _str_list(m[key], f"{ptr}/networks")
    if not nets:
        _fail(f"{ptr}/networks needs at least one CIDR", f"{ptr}/networks")
    for i, net in enumerate(nets):
        if not _CIDR.fullmatch(net):
            _fail(f"{ptr}/networks/{i}: {net!r} is not a CIDR", f"{ptr}/networks/{i}")
    return AdminPeer(networks=nets)


_CIDR = re.compile(r"\d{1,3}(\.\d{1,3}){3}/\d{1,2}|[0-9a-fA-F:]+/\d{1,3}")


def _admin_port_number(value: object, ptr: str) -> int:
    n = _int(value, ptr)
    if n is None:
        _fail(f"{ptr} is required", ptr)
    if not 1 <= n <= 65535:
        _fail(f"{ptr}: {n} is not a port (1-65535)", ptr)
    return n


def _admin_port(raw: object, ptr: str) -> AdminPort:
    m = _map(raw, ptr)
    key = _one_of(m, ("portNumber", "portRange", "namedPort"), ptr, "a port")
    if key == "namedPort":
        return AdminPort(name=_req_str(m[key], f"{ptr}/namedPort"))
    sub = _map(m[key], f"{ptr}/{key}")
    proto = _protocol(sub.get("protocol"), f"{ptr}/{key}/protocol")
    if key == "portNumber":
        n = _admin_port_number(sub.get("port"), f"{ptr}/portNumber/port")
        return AdminPort(proto, n, n)
    start = _admin_port_number(sub.get("start"), f"{ptr}/portRange/start")
    end = _admin_port_number(sub.get("end"), f"{ptr}/portRange/end")
    if start >= end:
        _fail(f"{ptr}/portRange: start {start} must be below end {end}", f"{ptr}/portRange")
    return AdminPort(proto, start, end)


def _admin_rules(
    raw: object, ptr: str, meta: Meta, direction: str, actions: tuple[AdminAction, ...]
) -> tuple[AdminRule, ...]:
    rules = _list(raw, ptr)
    if len(rules) > 100:
        _fail(f"{ptr}: {len(rules)} rules, at most 100 are allowed", ptr)
    peers_key = "from" if direction == "ingress" else "to"
    out = []
    for i, rr in enumerate(rules):
        rptr = f"{ptr}/{i}"
        r = _map(rr, rptr)
        text = _req_str(r.get("action"), f"{rptr}/action")
        if text not in [a.value for a in actions]:
            _fail(
                f"{rptr}/action: unknown action {text!r}",
                f"{rptr}/action",
                f"use {', '.join(a.value for a in actions)}",
            )
        peers_raw = _list(r.get(peers_key), f"{rptr}/{peers_key}")
        if not peers_raw:
            _fail(f"{rptr}/{peers_key} needs at least one peer", f"{rptr}/{peers_key}")
        peers = tuple(
            _admin_peer(p, f"{rptr}/{peers_key}/{j}", direction) for j, p in enumerate(peers_raw)
        )
        ports = None
        if r.get("ports") is not None:
            ports_raw = _list(r.get("ports"), f"{rptr}/ports")
            if not ports_raw:
                _fail(f"{rptr}/ports needs at least one port when given", f"{rptr}/ports")
            ports = tuple(_admin_port(p, f"{rptr}/ports/{j}") for j, p in enumerate(ports_raw))
            if any(p.name for p in ports) and any(p.nodes or p.networks for p in peers):
                _fail(
                    f"{rptr}: a namedPort cannot be combined with nodes or networks peers",
                    f"{rptr}/ports",
                    "use portNumber or portRange",
                )
        out.append(
            AdminRule(
                name=_str(r.get("name"), f"{rptr}/name") or "",
                action=AdminAction(text),
                peers=peers,
                ports=ports,
                source=_at(meta, rptr),
            )
        )
    return tuple(out)


def _admin_policy(doc: dict[str, object], meta: Meta, *, baseline: bool) -> AdminNetworkPolicy:
    spec = _map(doc.get("spec"), "/spec")
    priority = None
    actions: tuple[AdminAction, ...] = (AdminAction.ALLOW, AdminAction.DENY)
    if baseline:
        if meta.name != BASELINE_NAME:
            _fail(
                f"a BaselineAdminNetworkPolicy must be named {BASELINE_NAME!r}, not {meta.name!r}",
                "/metadata/name",
                "there is one per cluster: rename it default",
            )
    else:
        actions = (*actions, AdminAction.PASS)
        priority = _int(spec.get("priority"), "/spec/priority")
        if priority is None:
            _fail("/spec/priority is required", "/spec/priority")
        if not PRIORITY_MIN <= priority <= PRIORITY_MAX:
            _fail(
                f"/spec/priority: {priority} is out of range",
                "/spec/priority",
                f"use {PRIORITY_MIN}-{PRIORITY_MAX} (lower goes first)",
            )
    subject = _map(spec.get("subject"), "/spec/subject")
    if not subject:
        _fail("/spec/subject is required", "/spec/subject", "give namespaces or pods")
    key = _one_of(subject, ("namespaces", "pods"), "/spec/subject", "a subject")
    if key == "namespaces":
        subj = AdminSubject(_label_selector(subject[key], "/spec/subject/namespaces"))
    else:
        ns, pods = _namespaced_pod(subject[key], "/spec/subject/pods")
        subj = AdminSubject(ns, pods)
    return AdminNetworkPolicy(
        meta=meta,
        subject=subj,
        ingress=_admin_rules(spec.get("ingress"), "/spec/ingress", meta, "ingress", actions),
        egress=_admin_rules(spec.get("egress"), "/spec/egress", meta, "egress", actions),
        priority=priority,
        baseline=baseline,
    )


# -- Istio -------------------------------------------------------------------


def _workload_selector(raw: object, ptr: str) -> WorkloadSelector | None:
    if raw is None:
        return None
    return WorkloadSelector(_str_map(_map(raw, ptr).get("matchLabels"), f"{ptr}/matchLabels"))


def _authz(doc: dict[str, object], meta: Meta) -> AuthorizationPolicy:
    spec = _map(doc.get("spec"), "/spec")
    rules = []
    for i, rr in enumerate(_list(spec.get("rules"), "/spec/rules")):
        rptr = f"/spec/rules/{i}"
        r = _map(rr, rptr)
        sources = []
        for j, fr in enumerate(_list(r.get("from"), f"{rptr}/from")):
            s = _map(_map(fr, f"{rptr}/from/{j}").get("source"), f"{rptr}/from/{j}/source")
            sp = f"{rptr}/from/{j}/source"
            sources.append(
                AuthzSource(
                    principals=_str_list(s.get("principals"), f"{sp}/principals"),
                    not_principals=_str_list(s.get("notPrincipals"), f"{sp}/notPrincipals"),
                    request_principals=_str_list(s.get("requestPrincipals"), sp),
                    not_request_principals=_str_list(s.get("notRequestPrincipals"), sp),
                    namespaces=_str_list(s.get("namespaces"), f"{sp}/namespaces"),
                    not_namespaces=_str_list(s.get("notNamespaces"), f"{sp}/notNamespaces"),
                    ip_blocks=_str_list(s.get("ipBlocks"), f"{sp}/ipBlocks"),
                    not_ip_blocks=_str_list(s.get("notIpBlocks"), f"{sp}/notIpBlocks"),
                    remote_ip_blocks=_str_list(s.get("remoteIpBlocks"), sp),
                    not_remote_ip_blocks=_str_list(s.get("notRemoteIpBlocks"), sp),
                    service_accounts=_str_list(s.get("serviceAccounts"), sp),
                    not_service_accounts=_str_list(s.get("notServiceAccounts"), sp),
                )
            )
        operations = []
        for j, to in enumerate(_list(r.get("to"), f"{rptr}/to")):
            o = _map(_map(to, f"{rptr}/to/{j}").get("operation"), f"{rptr}/to/{j}/operation")
            op = f"{rptr}/to/{j}/operation"
            operations.append(
                AuthzOperation(
                    hosts=_str_list(o.get("hosts"), f"{op}/hosts"),
                    not_hosts=_str_list(o.get("notHosts"), f"{op}/notHosts"),
                    ports=_str_list(o.get("ports"), f"{op}/ports"),
                    not_ports=_str_list(o.get("notPorts"), f"{op}/notPorts"),
                    methods=_str_list(o.get("methods"), f"{op}/methods"),
                    not_methods=_str_list(o.get("notMethods"), f"{op}/notMethods"),
                    paths=_str_list(o.get("paths"), f"{op}/paths"),
                    not_paths=_str_list(o.get("notPaths"), f"{op}/notPaths"),
                )
            )
        conditions = []
        for j, w in enumerate(_list(r.get("when"), f"{rptr}/when")):
            c = _map(w, f"{rptr}/when/{j}")
            conditions.append(
                AuthzCondition(
                    key=_req_str(c.get("key"), f"{rptr}/when/{j}/key"),
                    values=_str_list(c.get("values"), f"{rptr}/when/{j}/values"),
                    not_values=_str_list(c.get("notValues"), f"{rptr}/when/{j}/notValues"),
                )
            )
        rules.append(
            AuthzRule(
                sources=tuple(sources),
                operations=tuple(operations),
                conditions=tuple(conditions),
                location=_at(meta, rptr),
            )
        )
    refs = []
    target_list = _list(spec.get("targetRefs"), "/spec/targetRefs")
    if spec.get("targetRef") is not None:
        target_list = [spec["targetRef"], *target_list]
    for i, tr in enumerate(target_list):
        t = _map(tr, f"/spec/targetRefs/{i}")
        refs.append(
            TargetRef(
                group=_str(t.get("group"), "/spec/targetRefs") or "",
                kind=_req_str(t.get("kind"), f"/spec/targetRefs/{i}/kind"),
                name=_req_str(t.get("name"), f"/spec/targetRefs/{i}/name"),
                namespace=_str(t.get("namespace"), f"/spec/targetRefs/{i}/namespace"),
            )
        )
    action = _str(spec.get("action"), "/spec/action") or "ALLOW"
    if action not in ("ALLOW", "DENY", "AUDIT", "CUSTOM"):
        _fail(
            f"/spec/action: unknown action {action!r}",
            "/spec/action",
            "use ALLOW, DENY, AUDIT or CUSTOM",
        )
    provider = _map(spec.get("provider"), "/spec/provider").get("name")
    return AuthorizationPolicy(
        meta=meta,
        action=action,
        selector=_workload_selector(spec.get("selector"), "/spec/selector"),
        target_refs=tuple(refs),
        rules=tuple(rules),
        provider=_str(provider, "/spec/provider/name"),
        has_rules_field="rules" in spec,
    )


def _peer_authn(doc: dict[str, object], meta: Meta) -> PeerAuthentication:
    spec = _map(doc.get("spec"), "/spec")
    mtls = _map(spec.get("mtls"), "/spec/mtls")
    port_level = {}
    for k, v in _map(spec.get("portLevelMtls"), "/spec/portLevelMtls").items():
        port = _int(k, f"/spec/portLevelMtls/{k}")
        if port is None:
            continue
        port_level[port] = _str(_map(v, f"/spec/portLevelMtls/{k}").get("mode"), "/spec") or "UNSET"
    md = _map(doc.get("metadata"), "/metadata")
    return PeerAuthentication(
        meta=meta,
        selector=_workload_selector(spec.get("selector"), "/spec/selector"),
        mode=_str(mtls.get("mode"), "/spec/mtls/mode"),
        port_level_mtls=port_level,
        created=_str(md.get("creationTimestamp"), "/metadata/creationTimestamp"),
    )


def _routes(raw: object, ptr: str, meta: Meta) -> tuple[HttpRoute, ...]:
    out = []
    for i, rr in enumerate(_list(raw, ptr)):
        rptr = f"{ptr}/{i}"
        r = _map(rr, rptr)
        dests = []
        for j, d in enumerate(_list(r.get("route"), f"{rptr}/route")):
            dp = f"{rptr}/route/{j}"
            dm = _map(d, dp)
            dest = _map(dm.get("destination"), f"{dp}/destination")
            port = _map(dest.get("port"), f"{dp}/destination/port")
            dests.append(
                RouteDestination(
                    host=_req_str(dest.get("host"), f"{dp}/destination/host"),
                    subset=_str(dest.get("subset"), f"{dp}/destination/subset"),
                    port=_int(port.get("number"), f"{dp}/destination/port/number"),
                    weight=_int(dm.get("weight"), f"{dp}/weight"),
                )
            )
        matches = tuple(
            _map(m, f"{rptr}/match/{k}")
            for k, m in enumerate(_list(r.get("match"), f"{rptr}/match"))
        )
        out.append(
            HttpRoute(
                name=_str(r.get("name"), f"{rptr}/name"),
                matches=matches,
                destinations=tuple(dests),
                location=_at(meta, rptr),
            )
        )
    return tuple(out)


def _virtual_service(doc: dict[str, object], meta: Meta) -> VirtualService:
    spec = _map(doc.get("spec"), "/spec")
    return VirtualService(
        meta=meta,
        hosts=_str_list(spec.get("hosts"), "/spec/hosts"),
        gateways=_str_list(spec.get("gateways"), "/spec/gateways"),
        http=_routes(spec.get("http"), "/spec/http", meta),
        tcp=_routes(spec.get("tcp"), "/spec/tcp", meta),
        tls=_routes(spec.get("tls"), "/spec/tls", meta),
        export_to=_str_list(spec.get("exportTo"), "/spec/exportTo"),
    )


def _destination_rule(doc: dict[str, object], meta: Meta) -> DestinationRule:
    spec = _map(doc.get("spec"), "/spec")
    subsets = tuple(
        Subset(
            name=_req_str(_map(s, f"/spec/subsets/{i}").get("name"), f"/spec/subsets/{i}/name"),
            labels=_str_map(_map(s, f"/spec/subsets/{i}").get("labels"), f"/spec/subsets/{i}"),
        )
        for i, s in enumerate(_list(spec.get("subsets"), "/spec/subsets"))
    )
    tp = _map(spec.get("trafficPolicy"), "/spec/trafficPolicy")
    tls = _map(tp.get("tls"), "/spec/trafficPolicy/tls")
    return DestinationRule(
        meta=meta,
        host=_req_str(spec.get("host"), "/spec/host"),
        subsets=subsets,
        tls_mode=_str(tls.get("mode"), "/spec/trafficPolicy/tls/mode"),
        export_to=_str_list(spec.get("exportTo"), "/spec/exportTo"),
    )


# -- RBAC ----------------------------------------------------------------------


def _role(doc: dict[str, object], meta: Meta, cluster: bool) -> Role:
    rules = []
    for i, rr in enumerate(_list(doc.get("rules"), "/rules")):
        ptr = f"/rules/{i}"
        r = _map(rr, ptr)
        rules.append(
            PolicyRule(
                verbs=_str_list(r.get("verbs"), f"{ptr}/verbs"),
                api_groups=_str_list(r.get("apiGroups"), f"{ptr}/apiGroups"),
                resources=_str_list(r.get("resources"), f"{ptr}/resources"),
                resource_names=_str_list(r.get("resourceNames"), f"{ptr}/resourceNames"),
                non_resource_urls=_str_list(r.get("nonResourceURLs"), f"{ptr}/nonResourceURLs"),
                source=_at(meta, ptr),
            )
        )
    aggregation = None
    agg = doc.get("aggregationRule")
    if cluster and agg is not None:
        selectors = _list(
            _map(agg, "/aggregationRule").get("clusterRoleSelectors"), "/aggregationRule"
        )
        aggregation = tuple(
            _label_selector(s, f"/aggregationRule/clusterRoleSelectors/{i}")
            for i, s in enumerate(selectors)
        )
    return Role(meta=meta, cluster=cluster, rules=tuple(rules), aggregation_selectors=aggregation)


def _role_binding(doc: dict[str, object], meta: Meta, cluster: bool) -> RoleBinding:
    ref = _map(doc.get("roleRef"), "/roleRef")
    if not ref:
        _fail("roleRef is required", "/roleRef", "name the Role or ClusterRole to bind")
    subjects = []
    for i, rs in enumerate(_list(doc.get("subjects"), "/subjects")):
        s = _map(rs, f"/subjects/{i}")
        if cluster and s.get("kind") == "ServiceAccount" and not s.get("namespace"):
            _fail(
                f"subjects[{i}] is a ServiceAccount without a namespace: the API server "
                "rejects such a ClusterRoleBinding",
                f"/subjects/{i}",
                "add the ServiceAccount's namespace to the subject",
            )
        subjects.append(
            Subject(
                kind=_req_str(s.get("kind"), f"/subjects/{i}/kind"),
                name=_req_str(s.get("name"), f"/subjects/{i}/name"),
                namespace=_str(s.get("namespace"), f"/subjects/{i}/namespace"),
                api_group=_str(s.get("apiGroup"), f"/subjects/{i}/apiGroup"),
            )
        )
    return RoleBinding(
        meta=meta,
        cluster=cluster,
        role_ref=RoleRef(
            kind=_req_str(ref.get("kind"), "/roleRef/kind"),
            name=_req_str(ref.get("name"), "/roleRef/name"),
            api_group=_str(ref.get("apiGroup"), "/roleRef/apiGroup") or "rbac.authorization.k8s.io",
        ),
        subjects=tuple(subjects),
    )


# -- config, secrets, storage, nodes -------------------------------------------


#: aws-iam-authenticator skips a data value that is empty or only an empty
#: quoted string (pkg/mapper/configmap/configmap.go, isSkippable)
_AWS_AUTH_SKIPPABLE = frozenset({"", "``", '""', "''"})
_ACCOUNT_ID = re.compile(r"[0-9]{12}")
_PERMISSION_SET = re.compile(r"[\w+=,.@-]{1,32}")
_PARTITIONS = frozenset(
    {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
)


class _AwsAuthReader:
    """Reads ``kube-system/aws-auth`` as aws-iam-authenticator does
    (pkg/mapper/configmap ParseMap, pkg/config RoleMapping/UserMapping):

    * ``mapRoles`` and ``mapUsers`` are YAML turned into JSON and decoded into
      Go structs, so entry keys match case-insensitively (``roleARN``,
      ``rOlEaRn``, ``UsErNaMe``); the data keys themselves (``mapRoles``) are
      case-sensitive;
    * a value that is empty, or only ``""``, ``''`` or two backquotes, is
      skipped without error;
    * a mapRoles entry needs exactly one of ``rolearn`` and ``sso``
      (``permissionSetName``, ``accountID``, optional ``partition``); a
      mapUsers entry needs ``userarn``; an invalid entry is dropped, the
      others are kept;
    * ``mapAccounts`` is decoded into strings, so an unquoted
      ``012345670123`` keeps its text.
    """

    def __init__(self, cm: ConfigMap, diags: list[Diagnostic]) -> None:
        self.cm = cm
        self.diags = diags

    def _error(self, key: str, message: str, hint: str) -> None:
        where = self.cm.meta.line_of(f"/data/{key}")
        self.diags.append(Diagnostic(where, message, hint, code="aws-auth"))

    def _yaml(self, key: str) -> object:
        """The parsed value of ``data[key]``; None when absent, skipped or unreadable."""
        text = self.cm.data.get(key)
        if text is None or text.strip() in _AWS_AUTH_SKIPPABLE:
            return None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            # One line: PyYAML's own message spans several and quotes the text.
            mark = getattr(exc, "problem_mark", None)
            at = f"line {mark.line + 1}, column {mark.column + 1} of its value: " if mark else ""
            problem = getattr(exc, "problem", None) or type(exc).__name__
            self._error(
                key,
                f"aws-auth {key} is not valid YAML: {at}{problem}",
                f"fix the YAML inside data.{key}; the authenticator ignores the whole key",
            )
            return None

    def _text(self, key: str, i: int, fields: dict[str, object], name: str) -> str:
        value = fields.get(name)
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        self._error(
            key,
            f"aws-auth {key} entry {i}: {name} must be a string, got {_type(value)}",
            f"quote the value; the authenticator reads the entry without its {name}",
        )
        return ""

    def _groups(self, key: str, i: int, fields: dict[str, object]) -> tuple[str, ...]:
        value = fields.get("groups")
        if value is None:
            return ()
        if not isinstance(value, list):
            self._error(
                key,
                f"aws-auth {key} entry {i}: groups must be a list, got {_type(value)}",
                "write groups as a YAML list; the authenticator maps the entry with no groups",
            )
            return ()
        out = []
        for g in value:
            if isinstance(g, str):
                out.append(g)
            else:
                self._error(
                    key,
                    f"aws-auth {key} entry {i}: group {g!r} is not a string",
                    "quote the group name",
                )
        return tuple(out)

    def _sso(self, key: str, i: int, value: object) -> AwsAuthSso | None:
        if not isinstance(value, dict):
            self._error(
                key,
                f"aws-auth {key} entry {i}: sso must be a mapping, got {_type(value)}",
                "give sso a permissionSetName and an accountID",
            )
            return None
        fields = {str(k).lower(): v for k, v in value.items()}
        name = fields.get("permissionsetname")
        account = fields.get("accountid")
        partition = fields.get("partition")
        problem = ""
        if not isinstance(account, str) or not _ACCOUNT_ID.fullmatch(account):
            problem = f"accountID {account!r} is not a 12-digit account ID (quote it)"
        elif not isinstance(name, str) or not _PERMISSION_SET.fullmatch(name):
            problem = f"permissionSetName {name!r} is not a permission set name"
        elif partition not in (None, "") and partition not in _PARTITIONS:
            problem = f"partition {partition!r} is not an AWS partition"
        if problem:
            self._error(key, f"aws-auth {key} entry {i}: sso {problem}", "fix the sso matcher")
            return None
        assert isinstance(name, str) and isinstance(account, str)
        return AwsAuthSso(name, account, str(partition) if partition else None)

    def entries(self, key: str, arn_key: str) -> tuple[AwsAuthEntry, ...]:
        raw = self._yaml(key)
        if raw is None:
            return ()
        where = self.cm.meta.line_of(f"/data/{key}")
        if not isinstance(raw, list):
            self._error(
                key,
                f"aws-auth {key} must be a YAML list",
                "write one '- ' item per entry; the authenticator ignores the whole key",
            )
            return ()
        out = []
        for i, e in enumerate(raw):
            if not isinstance(e, dict):
                self._error(
                    key,
                    f"aws-auth {key} entry {i} is {_type(e)}, not a mapping",
                    f"give every {key} entry a {arn_key}",
                )
                continue
            # Go's JSON decoding matches keys case-insensitively; a later key wins.
            fields = {str(k).lower(): v for k, v in e.items()}
            arn = self._text(key, i, fields, arn_key)
            sso = None
            if arn_key == "rolearn" and "sso" in fields and fields["sso"] is not None:
                sso = self._sso(key, i, fields["sso"])
                if sso is None:
                    continue
                if arn:
                    self._error(
                        key,
                        f"aws-auth {key} entry {i} has both rolearn and sso",
                        "keep one of them; the authenticator drops the entry",
                    )
                    continue
            if not arn and sso is None:
                either = "a rolearn or an sso matcher" if arn_key == "rolearn" else "a userarn"
                self._error(key, f"aws-auth {key} entry {i} has no {arn_key}", f"give it {either}")
                continue
            username = self._text(key, i, fields, "username")
            out.append(
                AwsAuthEntry(
                    arn=arn,
                    username=username or None,
                    groups=self._groups(key, i, fields),
                    source=where,
                    sso=sso,
                )
            )
        return tuple(out)

    def accounts(self) -> tuple[str, ...]:
        raw = self._yaml("mapAccounts")
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self._error(
                "mapAccounts",
                "aws-auth mapAccounts must be a YAML list of account IDs",
                "write one '- ' item per account",
            )
            return ()
        # Decoded into strings: the scalar's text as written, not a number.
        text = self.cm.data.get("mapAccounts", "")
        out = []
        for i, node in enumerate(_list_item_texts(text)):
            if i < len(raw) and isinstance(raw[i], list | dict):
                self._error(
                    "mapAccounts",
                    f"aws-auth mapAccounts item {i} is {_type(raw[i])}, not an account ID",
                    "write the account ID as a string",
                )
                continue
            out.append(node)
        return tuple(out)


def _not_string_values(data: object) -> list[tuple[str, object]]:
    """ConfigMap data values that are not strings (null reads as an empty string)."""
    if not isinstance(data, dict):
        return []
    return [(str(k), v) for k, v in data.items() if v is not None and not isinstance(v, str)]


def _list_item_texts(text: str) -> list[str]:
    """The text of each scalar item of a YAML list, as written (quotes removed)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:  # pragma: no cover - parsed before
        return []
    if not isinstance(node, yaml.SequenceNode):
        return []
    return [item.value if isinstance(item, yaml.ScalarNode) else "" for item in node.value]


def _aws_auth(cm: ConfigMap, diags: list[Diagnostic]) -> AwsAuth:
    reader = _AwsAuthReader(cm, diags)
    return AwsAuth(
        map_roles=reader.entries("mapRoles", "rolearn"),
        map_users=reader.entries("mapUsers", "userarn"),
        map_accounts=reader.accounts(),
        source=cm.meta.source,
    )


def _secret(doc: dict[str, object], meta: Meta) -> Secret:
    data = _map(doc.get("data"), "/data")
    string_data = _map(doc.get("stringData"), "/stringData")
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
        type=_str(doc.get("type"), "/type") or "Opaque",
        keys=keys,
        had_values=bool(doc.get(HAD_VALUES_KEY, False)),
        keys_with_values=filled,
        credentials=credentials,
    )


def _storage_class(doc: dict[str, object], meta: Meta) -> StorageClass:
    topologies = []
    for i, t in enumerate(_list(doc.get("allowedTopologies"), "/allowedTopologies")):
        terms: dict[str, tuple[str, ...]] = {}
        tm = _map(t, f"/allowedTopologies/{i}")
        for j, e in enumerate(_list(tm.get("matchLabelExpressions"), f"/allowedTopologies/{i}")):
            em = _map(e, f"/allowedTopologies/{i}/matchLabelExpressions/{j}")
            key = _req_str(em.get("key"), f"/allowedTopologies/{i}/matchLabelExpressions/{j}/key")
            terms[key] = _str_list(em.get("values"), f"/allowedTopologies/{i}")
        topologies.append(terms)
    default_annotations = (
        "storageclass.kubernetes.io/is-default-class",
        "storageclass.beta.kubernetes.io/is-default-class",
    )
    return StorageClass(
        meta=meta,
        provisioner=_req_str(doc.get("provisioner"), "/provisioner"),
        parameters=_str_map(doc.get("parameters"), "/parameters"),
        reclaim_policy=_str(doc.get("reclaimPolicy"), "/reclaimPolicy") or "Delete",
        volume_binding_mode=_str(doc.get("volumeBindingMode"), "/volumeBindingMode") or "Immediate",
        allow_volume_expansion=bool(
            _bool(doc.get("allowVolumeExpansion"), "/allowVolumeExpansion", False)
        ),
        allowed_topologies=tuple(topologies),
        is_default=any(meta.annotations.get(a) == "true" for a in default_annotations),
    )


def _pvc(doc: dict[str, object], meta: Meta) -> PersistentVolumeClaim:
    spec = _map(doc.get("spec"), "/spec")
    requests = _map(_map(spec.get("resources"), "/spec/resources").get("requests"), "/spec")
    return PersistentVolumeClaim(
        meta=meta,
        storage_class_name=_str(spec.get("storageClassName"), "/spec/storageClassName"),
        access_modes=_str_list(spec.get("accessModes"), "/spec/accessModes"),
        storage=_str(requests.get("storage"), "/spec/resources/requests/storage"),
        volume_name=_str(spec.get("volumeName"), "/spec/volumeName"),
        volume_mode=_str(spec.get("volumeMode"), "/spec/volumeMode") or "Filesystem",
    )


_ZONE_KEYS = frozenset(
    {
        "topology.ebs.csi.aws.com/zone",
        "topology.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/zone",
    }
)


def _pv(doc: dict[str, object], meta: Meta) -> PersistentVolume:
    spec = _map(doc.get("spec"), "/spec")
    csi = _map(spec.get("csi"), "/spec/csi")
    zones: list[str] = []
    required = _map(_map(spec.get("nodeAffinity"), "/spec/nodeAffinity").get("required"), "/spec")
    for term in _list(required.get("nodeSelectorTerms"), "/spec/nodeAffinity/required"):
        if not isinstance(term, dict):
            continue
        for expr in _list(term.get("matchExpressions"), "/spec/nodeAffinity"):
            if isinstance(expr, dict) and expr.get("key") in _ZONE_KEYS:
                zones.extend(str(v) for v in _list(expr.get("values"), "/spec/nodeAffinity"))
    claim = _map(spec.get("claimRef"), "/spec/claimRef")
    capacity = _map(spec.get("capacity"), "/spec/capacity")
    return PersistentVolume(
        meta=meta,
        storage_class_name=_str(spec.get("storageClassName"), "/spec/storageClassName"),
        access_modes=_str_list(spec.get("accessModes"), "/spec/accessModes"),
        capacity=_str(capacity.get("storage"), "/spec/capacity/storage"),
        reclaim_policy=_str(spec.get("persistentVolumeReclaimPolicy"), "/spec") or "Retain",
        csi_driver=_str(csi.get("driver"), "/spec/csi/driver"),
        volume_handle=_str(csi.get("volumeHandle"), "/spec/csi/volumeHandle"),
        zones=tuple(zones),
        claim=ObjectRef(
            "PersistentVolumeClaim",
            str(claim["name"]),
            str(claim.get("namespace") or DEFAULT_NAMESPACE),
        )
        if claim.get("name")
        else None,
    )


def _node(doc: dict[str, object], meta: Meta) -> Node:
    status = _map(doc.get("status"), "/status")
    internal = None
    for a in _list(status.get("addresses"), "/status/addresses"):
        if isinstance(a, dict) and a.get("type") == "InternalIP":
            internal = str(a.get("address"))
            break
    spec = _map(doc.get("spec"), "/spec")
    provider = _str(spec.get("providerID"), "/spec/providerID") or ""
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


# -- dispatch ------------------------------------------------------------------


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


def add_document(
    objs: KubeObjects, data: dict[str, object], source: Source, lines: dict[str, int]
) -> None:
    """Convert one Kubernetes document into the model objects it holds."""
    if is_secret_document(data):
        if data.get("kind") != "Secret":
            data = {**data, "kind": "Secret"}
        objs.secrets.append(_secret(data, _meta(data, source, lines)))
        return
    meta = _meta(data, source, lines)
    kind = meta.kind
    group = meta.group
    if group in CALICO_GROUPS:
        if kind == "NetworkPolicy":
            objs.calico_policies.append(_calico_policy(data, meta, PolicyScope.NAMESPACED))
        elif kind == "GlobalNetworkPolicy":
            objs.calico_policies.append(_calico_policy(data, meta, PolicyScope.GLOBAL))
        elif kind == "NetworkSet":
            objs.network_sets.append(_network_set(data, meta, is_global=False))
        elif kind == "GlobalNetworkSet":
            objs.network_sets.append(_network_set(data, meta, is_global=True))
        elif kind == "Tier":
            objs.tiers.append(_tier(data, meta))
        else:
            objs.opaque.append(OpaqueObject(meta, data))
        return
    if group == ADMIN_POLICY_GROUP and kind in ("AdminNetworkPolicy", "BaselineAdminNetworkPolicy"):
        baseline = kind == "BaselineAdminNetworkPolicy"
        objs.admin_network_policies.append(_admin_policy(data, meta, baseline=baseline))
        return
    if group == "security.istio.io" and kind == "AuthorizationPolicy":
        objs.authorization_policies.append(_authz(data, meta))
        return
    if group == SGP_GROUP and kind == "SecurityGroupPolicy":
        _add_security_group_policy(objs, data, meta)
        return
    if group == "security.istio.io" and kind == "PeerAuthentication":
        objs.peer_authentications.append(_peer_authn(data, meta))
        return
    if group == "networking.istio.io" and kind == "VirtualService":
        objs.virtual_services.append(_virtual_service(data, meta))
        return
    if group == "networking.istio.io" and kind == "DestinationRule":
        objs.destination_rules.append(_destination_rule(data, meta))
        return
    if group in (
        "",
        "apps",
        "batch",
        "extensions",
        "networking.k8s.io",
        "rbac.authorization.k8s.io",
        "storage.k8s.io",
        "policy",
    ):
        handled = _add_core(objs, data, meta)
        if handled:
            return
    objs.opaque.append(OpaqueObject(meta, data))


def _add_core(objs: KubeObjects, data: dict[str, object], meta: Meta) -> bool:
    kind = meta.kind
    if kind == "Namespace":
        objs.namespaces.append(_namespace(meta))
    elif kind == "Node":
        objs.nodes.append(_node(data, meta))
    elif kind == "Pod":
        objs.pods.append(_pod(data, meta))
    elif kind in WORKLOAD_KINDS:
        objs.workloads.append(_workload(data, meta, WORKLOAD_KINDS[kind]))
    elif kind == "Service":
        objs.services.append(_service(data, meta))
    elif kind == "Ingress":
        objs.ingresses.append(_ingress(data, meta))
    elif kind == "IngressClass":
        objs.ingress_classes.append(_ingress_class(data, meta))
    elif kind == "NetworkPolicy":
        objs.network_policies.append(_network_policy(data, meta))
    elif kind == "ServiceAccount":
        objs.service_accounts.append(
            ServiceAccount(
                meta=meta,
                automount_token=_bool(
                    data.get("automountServiceAccountToken"), "/automountServiceAccountToken"
                ),
                image_pull_secrets=tuple(
                    str(s.get("name"))
                    for s in _list(data.get("imagePullSecrets"), "/imagePullSecrets")
                    if isinstance(s, dict) and s.get("name")
                ),
            )
        )
    elif kind in ("Role", "ClusterRole"):
        objs.roles.append(_role(data, meta, cluster=kind == "ClusterRole"))
    elif kind in ("RoleBinding", "ClusterRoleBinding"):
        objs.role_bindings.append(_role_binding(data, meta, cluster=kind == "ClusterRoleBinding"))
    elif kind == "ConfigMap":
        cm = ConfigMap(meta=meta, data=_str_map(data.get("data"), "/data"))
        objs.config_maps.append(cm)
        if meta.name == "aws-auth" and meta.namespace == "kube-system":
            not_text = _not_string_values(data.get("data"))
            if not_text:
                # The API server takes only strings in data: no aws-auth exists.
                for key, value in not_text:
                    objs.diagnostics.append(
                        Diagnostic(
                            meta.line_of(f"/data/{key}"),
                            f"aws-auth data.{key} is {_type(value)}, not a string: the API "
                            "server rejects the ConfigMap, so the cluster has no aws-auth",
                            f"write data.{key} as a YAML block string ({key}: |)",
                            code="aws-auth",
                        )
                    )
            else:
                objs.aws_auth = _aws_auth(cm, objs.diagnostics)
    elif kind == "StorageClass":
        objs.storage_classes.append(_storage_class(data, meta))
    elif kind == "PersistentVolumeClaim":
        objs.pvcs.append(_pvc(data, meta))
    elif kind == "PersistentVolume":
        objs.pvs.append(_pv(data, meta))
    else:
        return False
    return True


def read_kube_documents(
    docs: Iterator[tuple[object, Source, dict[str, int]]],
    *,
    namespace: str | None = None,
) -> KubeObjects:
    """Convert documents; each bad one becomes a diagnostic, the rest load.

    A namespaced object without ``metadata.namespace`` goes to ``namespace``
    (``kubectl apply -n``); without one, to ``default``, with one warning for
    them all. Several definitions of one object: the later one wins, as
    ``kubectl apply`` of the files in order would leave it, unless it is
    invalid, in which case the latest valid one stands. A warning names both
    places.
    """
    objs = KubeObjects()
    defaulted: list[Source] = []
    entries: list[tuple[dict[str, object], Source, dict[str, int]]] = []
    keys: list[tuple[str, str, str | None, str] | None] = []
    for data, source, lines in docs:
        if not isinstance(data, dict):
            objs.diagnostics.append(
                Diagnostic(
                    source,
                    f"document is {_type(data)}, not a Kubernetes object",
                    "each YAML document must be a mapping with apiVersion, kind and metadata",
                    code="not-an-object",
                )
            )
            continue
        if "kind" not in data or "apiVersion" not in data:
            missing = " and ".join(k for k in ("apiVersion", "kind") if k not in data)
            objs.diagnostics.append(
                Diagnostic(
                    source,
                    f"document has no {missing}",
                    "add apiVersion and kind, or remove the document",
                    code="not-an-object",
                )
            )
            continue
        md = data.get("metadata")
        if (
            data.get("kind") in NAMESPACED
            and isinstance(md, dict)
            and md.get("namespace") in (None, "")
        ):
            data = {**data, "metadata": {**md, "namespace": namespace or DEFAULT_NAMESPACE}}
            if namespace is None:
                defaulted.append(source)
        entries.append((data, source, lines))
        keys.append(_identity(data))
    if defaulted:
        count = len(defaulted)
        objs.diagnostics.append(
            Diagnostic(
                defaulted[0],
                f"{count} namespaced object{'s' if count != 1 else ''} without "
                f"metadata.namespace {'were' if count != 1 else 'was'} put in namespace "
                f"'{DEFAULT_NAMESPACE}' (the first here)",
                "pass --namespace NS for the namespace they are applied to "
                "(as kubectl apply -n NS), or set metadata.namespace",
                level=DiagnosticLevel.WARNING,
                code="namespace-defaulted",
            )
        )
    definitions: dict[tuple[str, str, str | None, str], list[int]] = {}
    for i, key in enumerate(keys):
        if key is not None:
            definitions.setdefault(key, []).append(i)
    for i, (data, source, lines) in enumerate(entries):
        key = keys[i]
        places = definitions[key] if key is not None else [i]
        if len(places) == 1:
            _add_or_report(objs, data, source, lines)
            continue
        if i != places[-1]:
            continue  # decided at the last definition
        winner = None
        for j in reversed(places):
            if _add_or_report(objs, *entries[j]):
                winner = j
                break
        assert key is not None
        name = _name_of(data)
        for j in places:
            if winner is None or j == winner:
                continue  # with no winner, each definition was reported as invalid
            if j < winner:
                # Overridden, but the API server would still have refused it.
                scratch = KubeObjects()
                _add_or_report(scratch, *entries[j])
                objs.diagnostics.extend(scratch.diagnostics)
            at = entries[winner][1]
            other = entries[j][1]
            if j < winner:
                message = (
                    f"duplicate {key[1]} {name}: defined at {other} and again at {at}; "
                    "the later definition is used, as kubectl apply would leave it"
                )
            else:
                message = (
                    f"duplicate {key[1]} {name}: the later definition at {other} is invalid, "
                    f"so the one at {at} is used"
                )
            objs.diagnostics.append(
                Diagnostic(
                    other,
                    message,
                    "remove one of the definitions, or keep the overlay on purpose",
                    level=DiagnosticLevel.WARNING,
                    code="duplicate",
                )
            )
    return objs


def _add_or_report(
    objs: KubeObjects, data: dict[str, object], source: Source, lines: dict[str, int]
) -> bool:
    """Add one document's objects; False (and an error diagnostic) when it is invalid.
    Problems confined to one entry are reported too (the object is kept)."""
    kind = data.get("kind")
    name = _name_of(data)
    problems: list[InvalidDocument] = []
    token = _ENTRY_PROBLEMS.set(problems)
    try:
        add_document(objs, data, source, lines)
    except InvalidDocument as exc:
        objs.diagnostics.append(
            Diagnostic(
                _where(exc.pointer, source, lines),
                f"{kind} {name}: {exc.message}; the object was skipped",
                exc.hint or "fix the object so it matches the Kubernetes API",
                level=DiagnosticLevel.ERROR,
                code="invalid-object",
            )
        )
        return False
    finally:
        _ENTRY_PROBLEMS.reset(token)
        for problem in problems:
            objs.diagnostics.append(
                Diagnostic(
                    _where(problem.pointer, source, lines),
                    f"{kind} {name}: {problem.message}",
                    problem.hint,
                    level=DiagnosticLevel.ERROR,
                    code="unknown-field",
                )
            )
    return True


def _where(pointer: str, source: Source, lines: dict[str, int]) -> Source:
    """The line of ``pointer``, or of the nearest part above it that has one."""
    if not lines:
        return source
    p = pointer
    while p and p not in lines:
        p = p.rpartition("/")[0]
    return Source(source.file, lines.get(p, source.line))


def _identity(data: Mapping[str, object]) -> tuple[str, str, str | None, str] | None:
    md = data.get("metadata")
    if not isinstance(md, dict) or not isinstance(md.get("name"), str):
        return None
    api = str(data.get("apiVersion", ""))
    group = api.rpartition("/")[0] if "/" in api else ""
    kind = str(data.get("kind"))
    ns = md.get("namespace")
    namespace = _namespace_of(kind, str(ns) if ns else None)
    return (group, kind, namespace, md["name"])


def _name_of(data: Mapping[str, object]) -> str:
    md = data.get("metadata")
    if isinstance(md, dict):
        name = md.get("name")
        ns = md.get("namespace")
        if name:
            return f"{ns}/{name}" if ns else str(name)
    return "(unnamed)"


# -- what is kept of a document ------------------------------------------------

_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def sanitize(data: object) -> object:
    """Drop what must never be kept: secret values and bulky server fields.

    Values are dropped by default, not by guessing which look secret:

    - a Secret (:func:`is_secret_document`) keeps its keys, each value replaced by
      ``True`` when it held something and ``None`` when it was empty, a flag
      saying whether any held a value, and, for each key whose value looks like a
      credential, why (``ekstwin.loaders.credentials``; never the value);
    - every ``env`` entry, anywhere in the object (pod templates of workloads,
      PodTemplates, custom resources that embed containers, kubeconfig ``exec``),
      keeps its name, and its literal value only when the name is one of the AWS
      settings the model reads (``ENV_VALUES_KEPT``);
    - every ``command`` and ``args`` list (containers, probes and lifecycle hooks'
      ``exec``, kubeconfig ``exec``) keeps the names of its flags and the values of
      the flags the model reads (``FLAG_VALUES_KEPT``); every other word is redacted;
    - a kubeconfig (``kind: Config``) keeps its users' names, not their credentials;
    - a document that is not a Kubernetes object (no ``kind`` or ``apiVersion``) keeps
      its shape without its values: the model skips it, and it may be anything
      (a Keycloak export that is not a realm, an item of a raw Secret list).

    The last-applied-configuration annotation, which repeats the whole object, goes
    from every object, and ``managedFields`` too. Sanitizing twice changes nothing.
    """
    if not isinstance(data, dict):
        return _without_values(data)
    if "kind" not in data or "apiVersion" not in data:
        return {
            str(k): v if k in ("kind", "apiVersion") and isinstance(v, str) else _without_values(v)
            for k, v in data.items()
        }
    md = data.get("metadata")
    if isinstance(md, dict):
        annotations = md.get("annotations")
        if "managedFields" in md or (
            isinstance(annotations, dict) and _LAST_APPLIED in annotations
        ):
            md = {k: v for k, v in md.items() if k != "managedFields"}
            if isinstance(annotations, dict) and _LAST_APPLIED in annotations:
                md["annotations"] = {k: v for k, v in annotations.items() if k != _LAST_APPLIED}
            data = {**data, "metadata": md}
    if not is_secret_document(data):
        redacted = _redact(data, 0)
        assert isinstance(redacted, dict)
        if data.get("kind") == "Config" and isinstance(redacted.get("users"), list):
            redacted = {**redacted, "users": [_kubeconfig_user(u) for u in redacted["users"]]}
        return redacted
    out = {k: _without_values(v) if k not in _SECRET_FIELDS_KEPT else v for k, v in data.items()}
    # A snapshot holds Secrets already sanitized: keep the flags they carry.
    had = data.get(HAD_VALUES_KEY) is True
    judged = data.get(CREDENTIALS_KEY)
    credentials: dict[str, str] = dict(judged) if isinstance(judged, dict) else {}
    for key in ("data", "stringData"):
        values = out.get(key)
        if isinstance(values, dict):
            had = had or any(v not in (None, "") for v in values.values())
            for k, v in values.items():
                if v in (None, "", True) or str(k) in credentials:
                    continue
                reason = credential_reason(str(k), v, encoded=key == "data")
                if reason is not None:
                    credentials[str(k)] = reason
            out[key] = {str(k): True if v not in (None, "") else None for k, v in values.items()}
        elif values is not None:
            out[key] = {}
    out[HAD_VALUES_KEY] = had
    if had and (judged is not None or not _already_sanitized(data)):
        out[CREDENTIALS_KEY] = dict(sorted(credentials.items()))
    return out


def _already_sanitized(data: dict[str, object]) -> bool:
    """A Secret from a snapshot written before values were judged: its values are
    ``True`` already, and what they were cannot be told."""
    return HAD_VALUES_KEY in data


#: The parts of a Secret kept as they are (``data`` and ``stringData`` keep their keys
#: only; anything else a Secret carries keeps its shape without values).
_SECRET_FIELDS_KEPT = frozenset(
    {
        "apiVersion",
        "kind",
        "metadata",
        "type",
        "immutable",
        "data",
        "stringData",
        HAD_VALUES_KEY,
        CREDENTIALS_KEY,
    }
)

#: Below this depth the walk stops looking for ``env``, ``command`` and ``args``
#: and keeps only the shape: no object the model reads nests so deep.
_MAX_REDACT_DEPTH = 100


def _without_values(node: object, depth: int = 0) -> object:
    """``node`` with its shape (keys, list lengths) and without its values: every
    string, number and date redacted; booleans and nulls kept."""
    if isinstance(node, dict):
        if depth > _MAX_REDACT_DEPTH:
            return {}
        return {str(k): _without_values(v, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        if depth > _MAX_REDACT_DEPTH:
            return []
        return [_without_values(v, depth + 1) for v in node]
    if node is None or isinstance(node, bool) or node in ("", REDACTED):
        return node
    if isinstance(node, int | float):
        return type(node)(0)  # its type stays, so what is said about it does too
    return REDACTED


def _redact(node: object, depth: int) -> object:
    """``node`` with every ``env`` value and ``command`` / ``args`` word the model does
    not read redacted, at any depth; the same object when there is nothing to redact."""
    if isinstance(node, list):
        if depth > _MAX_REDACT_DEPTH:
            return _without_values(node, depth)
        new_items = [_redact(v, depth + 1) for v in node]
        return node if all(a is b for a, b in zip(new_items, node, strict=True)) else new_items
    if not isinstance(node, dict):
        return node
    if depth > _MAX_REDACT_DEPTH:
        return _without_values(node, depth)
    changed: dict[str, object] = {}
    for key, value in node.items():
        if key == "env" and isinstance(value, list):
            new: object = [_redact_env_entry(e, depth + 1) for e in value]
        elif key in ("command", "args") and isinstance(value, list):
            new = _redact_words(value)
        else:
            new = _redact(value, depth + 1)
        if new is not value:
            changed[key] = new
    return {**node, **changed} if changed else node


def _redact_env_entry(entry: object, depth: int) -> object:
    if not isinstance(entry, dict):
        return _redact(entry, depth)
    value = entry.get("value")
    if value in (None, "", REDACTED) or entry.get("name") in ENV_VALUES_KEPT:
        return entry
    return {**entry, "value": REDACTED}


def _redact_words(words: list[object]) -> list[object]:
    """A command line with only the flag names and the values of ``FLAG_VALUES_KEPT``
    left (``--flag=value`` and ``--flag value``); the same list when nothing changes."""
    out: list[object] = []
    keep_next = False
    for word in words:
        if isinstance(word, str) and word.startswith("-") and word != "-":
            flag, eq, value = word.partition("=")
            name = flag.lstrip("-")
            kept = name in FLAG_VALUES_KEPT
            keep = not eq or kept or value in ("", REDACTED) or value in FLAG_VALUES_ALWAYS_KEPT
            out.append(word if keep else f"{flag}={REDACTED}")
            keep_next = kept and not eq and name not in FLAGS_WITHOUT_VALUE
        else:
            keep = (
                keep_next
                or word in (None, "", REDACTED)
                or isinstance(word, bool)
                or (isinstance(word, str) and word in FLAG_VALUES_ALWAYS_KEPT)
            )
            out.append(word if keep else REDACTED)
            keep_next = False
    return out if any(a is not b for a, b in zip(out, words, strict=True)) else words


def _kubeconfig_user(entry: object) -> object:
    """A kubeconfig ``users`` entry: its name, and its credentials' shape only."""
    if not isinstance(entry, dict):
        return _without_values(entry)
    return {k: v if k == "name" else _without_values(v) for k, v in entry.items()}


def _load(data: object, source: Source, lines: dict[str, int]) -> Loaded:
    return Loaded(kube=(Document(sanitize(data), source, lines),))


def _anything(data: object) -> bool:
    return True


#: Kubernetes, Calico, Istio and any other document: the last format asked, it
#: takes what no other format recognised (the model reports what it cannot read).
INPUT_FORMAT = InputFormat("kubernetes", _anything, _load)
