"""Pods and the workloads that make them (Deployment, StatefulSet, Job, ...)."""

from __future__ import annotations

from ekstwin.loaders.kubernetes.fields import (
    as_bool,
    as_int,
    as_list,
    as_map,
    as_str,
    fail,
    label_selector,
    labels_of,
    port_in_range,
    protocol_of,
    req_str,
    str_list,
    str_map,
    unknown_fields,
)
from ekstwin.loaders.kubernetes.kinds import CORE_GROUPS, WORKLOAD_KINDS
from ekstwin.loaders.kubernetes.objects import KindHandler, KubeObjects, in_groups
from ekstwin.model.images import PullPolicy, default_pull_policy, parse_image
from ekstwin.model.k8s import (
    ENV_VALUES_KEPT,
    Container,
    ContainerKind,
    ContainerPort,
    Meta,
    Pod,
    PodSpec,
    VolumeClaimTemplate,
    Workload,
    WorkloadKind,
)

__all__ = ["HANDLERS"]


_CONTAINER_PORT_FIELDS = frozenset({"containerPort", "hostIP", "hostPort", "name", "protocol"})


_CONTAINER_FIELDS = frozenset(
    {"name", "image", "command", "args", "workingDir", "ports", "envFrom", "env", "resources",
     "resizePolicy", "restartPolicy", "restartPolicyRules", "volumeMounts", "volumeDevices",
     "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "terminationMessagePath",
     "terminationMessagePolicy", "imagePullPolicy", "securityContext", "stdin", "stdinOnce",
     "tty", "targetContainerName"}
)  # fmt: skip


def _containers(spec: dict[str, object], base: str) -> tuple[Container, ...]:
    out: list[Container] = []
    for field_name, kind in (
        ("initContainers", ContainerKind.INIT),
        ("containers", ContainerKind.CONTAINER),
        ("ephemeralContainers", ContainerKind.EPHEMERAL),
    ):
        for i, raw in enumerate(as_list(spec.get(field_name), f"{base}/{field_name}")):
            ptr = f"{base}/{field_name}/{i}"
            c = as_map(raw, ptr)
            name = req_str(c.get("name"), f"{ptr}/name")
            image_text = as_str(c.get("image"), f"{ptr}/image")
            if not image_text:
                fail(f"container {name!r} has no image", f"{ptr}/image", "set the image")
            image = parse_image(image_text)
            policy_text = as_str(c.get("imagePullPolicy"), f"{ptr}/imagePullPolicy")
            if policy_text is None:
                policy, defaulted = default_pull_policy(image), True
            else:
                try:
                    policy, defaulted = PullPolicy(policy_text), False
                except ValueError:
                    fail(
                        f"{ptr}/imagePullPolicy: unknown policy {policy_text!r}",
                        f"{ptr}/imagePullPolicy",
                        "use Always, IfNotPresent or Never",
                    )
            ports: list[ContainerPort] = []
            unknown_fields(c, _CONTAINER_FIELDS, ptr, "the field was ignored")
            for j, rp in enumerate(as_list(c.get("ports"), f"{ptr}/ports")):
                pptr = f"{ptr}/ports/{j}"
                p = as_map(rp, pptr)
                if unknown_fields(p, _CONTAINER_PORT_FIELDS, pptr, "that port was left out"):
                    continue
                if isinstance(p.get("containerPort"), str):
                    # The API server refuses a string here, even "8080".
                    fail(
                        f"{pptr}/containerPort must be an integer, not a string",
                        f"{pptr}/containerPort",
                        "write the port number without quotes; names go in ports[].name",
                    )
                number = as_int(p.get("containerPort"), f"{pptr}/containerPort")
                if number is None or not 1 <= number <= 65535:
                    fail(f"{pptr}/containerPort must be 1-65535", f"{pptr}/containerPort")
                ports.append(
                    ContainerPort(
                        container_port=number,
                        protocol=protocol_of(p.get("protocol"), f"{pptr}/protocol"),
                        name=as_str(p.get("name"), f"{pptr}/name"),
                        host_port=port_in_range(
                            as_int(p.get("hostPort"), f"{pptr}/hostPort"),
                            f"{pptr}/hostPort",
                            zero=True,
                        ),
                    )
                )
            env: list[tuple[str, str | None]] = []
            literal: set[str] = set()
            for j, re_ in enumerate(as_list(c.get("env"), f"{ptr}/env")):
                e = as_map(re_, f"{ptr}/env/{j}")
                env_name = req_str(e.get("name"), f"{ptr}/env/{j}/name")
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
                    restart_policy=as_str(c.get("restartPolicy"), f"{ptr}/restartPolicy"),
                    pointer=ptr,
                    env=tuple(env),
                    env_from=bool(as_list(c.get("envFrom"), f"{ptr}/envFrom")),
                    env_literal=frozenset(literal),
                    command=tuple(
                        x for x in as_list(c.get("command"), f"{ptr}/command") if isinstance(x, str)
                    ),
                    args=tuple(
                        x for x in as_list(c.get("args"), f"{ptr}/args") if isinstance(x, str)
                    ),
                )
            )
    return tuple(out)


def _pod_spec(raw: object, base: str) -> PodSpec:
    spec = as_map(raw, base)
    claims: list[str] = []
    for i, v in enumerate(as_list(spec.get("volumes"), f"{base}/volumes")):
        vol = as_map(v, f"{base}/volumes/{i}")
        pvc = vol.get("persistentVolumeClaim")
        if isinstance(pvc, dict) and pvc.get("claimName"):
            claims.append(str(pvc["claimName"]))
    sa = as_str(spec.get("serviceAccountName"), f"{base}/serviceAccountName") or as_str(
        spec.get("serviceAccount"), f"{base}/serviceAccount"
    )
    return PodSpec(
        containers=_containers(spec, base),
        service_account=sa or "default",
        node_name=as_str(spec.get("nodeName"), f"{base}/nodeName"),
        host_network=bool(as_bool(spec.get("hostNetwork"), f"{base}/hostNetwork", False)),
        node_selector=str_map(spec.get("nodeSelector"), f"{base}/nodeSelector"),
        claim_names=tuple(claims),
        automount_service_account_token=as_bool(
            spec.get("automountServiceAccountToken"), f"{base}/automountServiceAccountToken"
        ),
    )


def _pod(doc: dict[str, object], meta: Meta) -> Pod:
    status = as_map(doc.get("status"), "/status")
    return Pod(
        meta=meta,
        spec=_pod_spec(doc.get("spec"), "/spec"),
        ip=as_str(status.get("podIP"), "/status/podIP"),
        host_ip=as_str(status.get("hostIP"), "/status/hostIP"),
        phase=as_str(status.get("phase"), "/status/phase"),
    )


def _claim_templates(spec: dict[str, object]) -> tuple[VolumeClaimTemplate, ...]:
    out = []
    for i, raw in enumerate(
        as_list(spec.get("volumeClaimTemplates"), "/spec/volumeClaimTemplates")
    ):
        ptr = f"/spec/volumeClaimTemplates/{i}"
        t = as_map(raw, ptr)
        md = as_map(t.get("metadata"), f"{ptr}/metadata")
        tspec = as_map(t.get("spec"), f"{ptr}/spec")
        requests = as_map(
            as_map(tspec.get("resources"), f"{ptr}/spec/resources").get("requests"),
            f"{ptr}/spec/resources/requests",
        )
        out.append(
            VolumeClaimTemplate(
                name=req_str(md.get("name"), f"{ptr}/metadata/name"),
                storage_class_name=as_str(
                    tspec.get("storageClassName"), f"{ptr}/spec/storageClassName"
                ),
                access_modes=str_list(tspec.get("accessModes"), f"{ptr}/spec/accessModes"),
                storage=as_str(requests.get("storage"), f"{ptr}/spec/resources/requests/storage"),
            )
        )
    return tuple(out)


def _workload(doc: dict[str, object], meta: Meta, kind: WorkloadKind) -> Workload:
    spec = as_map(doc.get("spec"), "/spec")
    base = "/spec"
    schedule = None
    if kind is WorkloadKind.CRON_JOB:
        schedule = as_str(spec.get("schedule"), "/spec/schedule")
        job = as_map(spec.get("jobTemplate"), "/spec/jobTemplate")
        spec = as_map(job.get("spec"), "/spec/jobTemplate/spec")
        base = "/spec/jobTemplate/spec"
    template = as_map(spec.get("template"), f"{base}/template")
    tmeta = as_map(template.get("metadata"), f"{base}/template/metadata")
    if kind in (WorkloadKind.JOB, WorkloadKind.CRON_JOB):
        parallelism = as_int(spec.get("parallelism"), f"{base}/parallelism", 1) or 0
        completions = as_int(spec.get("completions"), f"{base}/completions")
        replicas = min(parallelism, completions) if completions is not None else parallelism
    elif kind is WorkloadKind.DAEMON_SET:
        replicas = 0
    else:
        replicas = as_int(spec.get("replicas"), f"{base}/replicas", 1) or 0
    selector_raw = spec.get("selector")
    selector = (
        label_selector(selector_raw, f"{base}/selector") if isinstance(selector_raw, dict) else None
    )
    retention = str_map(
        spec.get("persistentVolumeClaimRetentionPolicy"),
        "/spec/persistentVolumeClaimRetentionPolicy",
    )
    return Workload(
        meta=meta,
        kind=kind,
        replicas=max(replicas, 0),
        selector=selector,
        template_labels=labels_of(tmeta.get("labels"), f"{base}/template/metadata/labels"),
        template_annotations=str_map(
            tmeta.get("annotations"), f"{base}/template/metadata/annotations"
        ),
        spec=_pod_spec(template.get("spec"), f"{base}/template/spec"),
        volume_claim_templates=(
            _claim_templates(spec) if kind is WorkloadKind.STATEFUL_SET else ()
        ),
        service_name=as_str(spec.get("serviceName"), "/spec/serviceName"),
        schedule=schedule,
        pvc_retention=retention,
    )


def _add_workload(objs: KubeObjects, data: dict[str, object], meta: Meta) -> None:
    objs.workloads.append(_workload(data, meta, WORKLOAD_KINDS[meta.kind]))


HANDLERS: dict[tuple[str, str], KindHandler] = in_groups(
    CORE_GROUPS,
    {
        "Pod": lambda objs, data, meta: objs.pods.append(_pod(data, meta)),
        **dict.fromkeys(WORKLOAD_KINDS, _add_workload),
    },
)
