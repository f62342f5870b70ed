"""Pods grouped into the workloads that made them, for findings."""

from __future__ import annotations

from ekstwin.model.k8s import Meta, Pod
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef


def owner_meta(platform: Platform, pod: Pod) -> Meta:
    """The meta of the workload that made ``pod``, else the pod's own."""
    if pod.workload is not None:
        for w in platform.workloads:
            if w.ref == pod.workload:
                return w.meta
    return pod.meta


def owner_ref(platform: Platform, pod: Pod) -> ObjectRef:
    return owner_meta(platform, pod).ref


def template_pointer(meta: Meta) -> str:
    """Where a workload's pod labels live (a CronJob nests one template deeper)."""
    if meta.kind == "Pod":
        return "/metadata/labels"
    if meta.kind == "CronJob":
        return "/spec/jobTemplate/spec/template/metadata/labels"
    return "/spec/template/metadata/labels"
