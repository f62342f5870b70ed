"""ING007."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.compiled import CompiledModels
from ekstwin.engines.ingress import ActionType, Alb, ForwardTarget, TargetType
from ekstwin.engines.ingress.config import AlbOptions, platform_alb_options
from ekstwin.engines.vpc import AwsEndpoint, Layer, LayerVerdict, VpcModel, candidates
from ekstwin.engines.vpc.model import VpcQueryError
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef, Source


@dataclass(frozen=True, slots=True)
class _Target:
    """One target of a target group: a pod (type ip) or a node (type instance)."""

    name: str
    endpoint: AwsEndpoint
    port: int


class AlbSecurityGroupsBlockTargets(Check):
    """
    ## What it does
    For every ALB of an IngressGroup that exists in `aws.json`, judges the AWS
    layers from each of the load balancer's network interfaces to each target
    of its forward rules: target type `ip`, the pods on their target port
    (with the security groups of the ENI that carries the pod's address, its
    branch ENI with security groups for pods); type `instance`, every node on
    the Service's NodePort. Security groups on both sides, the network ACLs
    and the route are judged.

    The rule on the target's side follows the AWS Load Balancer Controller:
    without `alb.ingress.kubernetes.io/security-groups` (or with it and
    `manage-backend-security-group-rules`), the controller itself adds a rule
    from the ALB's backend group to the target ENI's group. It picks that
    group as the ENI's only group, or else the only one tagged
    `kubernetes.io/cluster/<cluster>` (and the `--service-target-eni-security-group-tags`);
    when none or several qualify, it fails to reconcile the target group.
    With frontend groups written and no managed rules, the groups in the
    input decide.

    ## Why is this bad?
    The ALB's health checks and requests time out: the targets stay
    unhealthy and clients get 502/504, while the pods and their network
    policies are fine.

    ## Example
    An Ingress with `security-groups: sg-partner` and the nodes' security
    group admitting nothing from `sg-partner`; or pod ENIs that carry two
    groups, both tagged `kubernetes.io/cluster/prod`.

    ## Fix
    Admit the target port (the NodePort range for instance targets) from the
    ALB's groups in the targets' groups, or let the controller manage the
    rules (`manage-backend-security-group-rules: "true"`); tag exactly one
    group per target ENI with `kubernetes.io/cluster/<cluster>`.

    ## References
    - AWS Load Balancer Controller: Security Groups for Load Balancers (frontend and backend groups)
    - kubernetes-sigs/aws-load-balancer-controller: resolveEndpointSGForENI in
      pkg/targetgroupbinding/networking_manager.go
    """

    id = "ING007"
    slug = "alb-security-groups-block-targets"
    title = "AWS drops the ALB's traffic to the targets behind an Ingress"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        models = ctx.models(platform)
        vpc = models.vpc
        if not vpc.has_vpc_data:
            return
        options, _ = platform_alb_options(platform)
        cluster = options.cluster_name or (vpc.cluster.name if vpc.cluster else None)
        for alb in models.albs.albs:
            if alb.errors or not alb.name:
                continue
            try:
                sources = candidates(vpc, f"alb:{alb.name}")
            except VpcQueryError:
                continue  # not created yet: its interfaces and groups are unknown
            seen: set[tuple[str, int]] = set()
            for ls in alb.listeners:
                for rule in ls.rules:
                    if rule.action.type is not ActionType.FORWARD:
                        continue
                    for target in rule.action.targets:
                        for t in _targets(platform, models, target):
                            if (t.name, t.port) in seen:
                                continue
                            seen.add((t.name, t.port))
                            got = self._judge(
                                vpc, alb=alb, options=options, cluster=cluster, sources=sources, t=t
                            )
                            member = alb.member(rule.ingress)
                            if got is not None and member is not None:
                                yield self._finding(
                                    alb,
                                    subject=member.ingress.meta.ref,
                                    target=target,
                                    t=t,
                                    layer=got[0],
                                    note=got[1],
                                    source=rule.source,
                                )

    def _judge(
        self,
        vpc: VpcModel,
        *,
        alb: Alb,
        options: AlbOptions,
        cluster: str | None,
        sources: tuple[AwsEndpoint, ...],
        t: _Target,
    ) -> tuple[LayerVerdict, str] | None:
        """The layer that drops the ALB's traffic to ``t`` and a note, or None."""
        for src in sources:
            for layer in vpc.aws_layers(src, t.endpoint, "TCP", t.port):
                if layer.allowed is not False:
                    continue
                if layer.layer is Layer.SECURITY_GROUP_INGRESS and alb.manages_backend_rules:
                    problem = _endpoint_group_problem(vpc, t.endpoint, cluster, options)
                    if problem is None:
                        continue  # the controller's own rule admits the ALB
                    return layer, problem
                return layer, ""
        return None

    def _finding(
        self,
        alb: Alb,
        *,
        subject: ObjectRef,
        target: ForwardTarget,
        t: _Target,
        layer: LayerVerdict,
        note: str,
        source: Source | None,
    ) -> Finding:
        where = f" ({layer.source.file}:{layer.source.line})" if layer.source else ""
        evidence = [
            f"ALB {alb.name} (group {alb.group}) -> {t.name} TCP/{t.port} "
            f"({target.target_type.value if target.target_type else 'target'} target of "
            f"{target.service}:{target.service_port}): {layer.layer.value}: "
            f"{layer.decided_by}{where}"
        ]
        if alb.manages_backend_rules:
            evidence.append("the controller manages the targets' security group rules")
        else:
            evidence.append(
                "frontend groups are written in the Ingress and "
                "manage-backend-security-group-rules is off: the controller adds no rule"
            )
        if note:
            evidence.append(note)
        message = (
            f"ALB {alb.name} cannot reach {t.name} on TCP {t.port} behind "
            f"{target.service}:{target.service_port}: {layer.layer.value}"
        )
        if note:
            message += " (the controller cannot choose the group to open)"
        return self.finding(
            subject,
            message,
            layer.source or source,
            evidence=evidence,
            fix="tag exactly one security group of the target ENI with kubernetes.io/cluster/"
            "<cluster>"
            if note
            else f"admit TCP {t.port} from the ALB's security groups at {layer.layer.value}, "
            'or set manage-backend-security-group-rules: "true"',
            key=f"{alb.group}:{t.name}:{t.port}",
        )


def _targets(platform: Platform, models: CompiledModels, target: ForwardTarget) -> list[_Target]:
    vpc = models.vpc
    if target.target_type is TargetType.IP:
        pods = {p.key: p for p in platform.pods}
        out = []
        for key, pod_port in zip(target.pods, target.pod_ports, strict=True):
            pod = pods.get(key)
            if pod is not None:
                out.append(_Target(key, vpc.place_pod(pod), pod_port))
        return out
    if target.target_type is TargetType.INSTANCE and target.service:
        ns, _, name = target.service.partition("/")
        svc = next(
            (s for s in platform.services if s.meta.namespace == ns and s.meta.name == name),
            None,
        )
        if svc is None:
            return []
        port = next(
            (
                p
                for p in svc.ports
                if target.service_port in (p.port, p.name) and p.protocol.value == "TCP"
            ),
            None,
        )
        if port is None or port.node_port is None:
            return []  # a NodePort the API server will pick: unknown here
        return [
            _Target(f"node/{n.meta.name}", vpc.node_endpoint(n.meta.name), port.node_port)
            for n in sorted(platform.nodes, key=lambda n: n.meta.name)
        ]
    return []


def _endpoint_group_problem(
    vpc: VpcModel, endpoint: AwsEndpoint, cluster: str | None, options: AlbOptions
) -> str | None:
    """Why the controller cannot pick the security group of the target's ENI to
    add its rule to (resolveEndpointSGForENI), or None when it can (or when the
    groups are unknown: nothing to say)."""
    groups = endpoint.group_ids
    if groups is None or len(groups) == 1:
        return None
    if not groups:
        return "the target's ENI carries no security group"
    if cluster is None:
        return None  # the tag key is unknown
    tag = f"kubernetes.io/cluster/{cluster}"
    wanted = dict(options.service_target_eni_security_group_tags)
    tagged = []
    for gid in groups:
        group = vpc.aws.security_group(gid)
        if group is None:
            return None  # a group of unknown tags: cannot say
        if tag in group.tags and all(group.tags.get(k) == v for k, v in wanted.items()):
            tagged.append(gid)
    if len(tagged) == 1:
        return None
    return (
        f"the target's ENI carries {', '.join(groups)}; the controller needs exactly one "
        f"tagged {tag} to add its rule to, and found {len(tagged)}"
        + (f" ({', '.join(tagged)})" if tagged else "")
    )
