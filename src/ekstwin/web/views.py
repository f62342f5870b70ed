"""The web views: engine results as one JSON document, and the query endpoints.

Everything here calls the engines' public functions and keeps their JSON as
it is; the page renders it. A section whose engine raises becomes
``{"available": false, "error": "..."}`` so one unfinished engine does not take
the whole page down.

Shape of :func:`build_views` (``schema`` ``ekstwin-web``, ``version`` 2; docs/web.md;
the JSON schema ``ekstwin/schemas/web-views.schema.json``, :func:`views_schema`)::

    {"schema": "ekstwin-web", "version": 2, "title": str, "inputs": [str],
     "sections": {
        "report":   <section: the analyze JSON report (docs/report-json.md)>,
        "network":  <section: Network (below)>,
        "identity": <section: {"pods": [PodAccess JSON + "workload"],
                               "people": [UserAccess JSON],
                               "people_empty": str | null, "pods_empty": str | null}>,
        "ingress":  <section: the ALB plan JSON (docs/ingress.md)>,
        "dns":      <section: {"owner_id": str, "annotation_prefix": str, "plan": DnsPlan JSON}>,
        "ipam":     <section: {"now": ipam plan JSON (docs/ipam.md), "lose_az": {zone: plan JSON}}>,
        "storage":  <section: {"now": StoragePlan JSON, "lose_az": {zone: StoragePlan JSON}}>,
        "diff":     <section: net diff JSON (docs/net.md), "old": [str], "changes_total",
                     "change_limit", "why_limit", "why_omitted": int; the first
                     change_limit changes, of which the first why_limit carry why_old
                     and why_new> (only with compare)},
     "diagnostics": [str], "docs_base": str}

    section = {"available": true, "data": ...} | {"available": false, "error": str}

The network is compact: indices instead of names, flat inclusive index ranges
``[a0, b0, a1, b1, ...]`` instead of lists, each connection set and decision
once::

    Network = {"pods": [[name, workload | null, namespace, class, [protocol, port] | null]],
               "workloads": [str], "namespaces": [str], "classes": int,
               "services": [{"name": "NS/svc/NAME", "ports": [{"port", "protocol",
                             "backends": [[pod index, target port]], "problem"}]}],
               "conns": [ConnectionSet JSON], "enforcer": Enforcement JSON,
               "matrix": {"namespace": Rows, "workload": Rows},
               "explain": {"decisions": [Decision JSON], "sides": [Table],
                           "class_sides": [[egress table, ingress table]]}}
    Rows  = [[source index, [[conn index, destination ranges], ...]], ...]
    Table = [[peer class ranges, [[conn index, decision index], ...]], ...]

A pair of pods is explained by lookup: the egress decision is the region
holding the port in the block holding the destination's class, in the table of
the source's class; the ingress decision likewise from the destination's
ingress table (``NetModel.side_decisions``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ekstwin.errors import ConfigError, EkstwinError
from ekstwin.loaders import LoadResult
from ekstwin.suppressions import Baseline

__all__ = [
    "SCHEMA",
    "QueryError",
    "WebQueries",
    "build_views",
    "section",
    "views_schema",
]

log = logging.getLogger(__name__)

SCHEMA = "ekstwin-web"
_ONES = re.compile("1+")
#: Where a finding's ``doc`` (docs/checks/ID.md) is published.
DOCS_BASE = "https://github.com/ekstwin/ekstwin/blob/main/"
_VERSION = 2
#: The schema of the document, beside the other schemas of the package.
VIEWS_SCHEMA = "web-views.schema.json"
#: Changes of the Diff tab sent with their explanations (the rest without).
WHY_LIMIT = 200
#: Changes of the Diff tab sent at all (the rest counted).
CHANGE_LIMIT = 2000
_WHY_KEYS = ("why_old", "why_new")


def views_schema() -> dict[str, Any]:
    """The JSON schema of the views document (``ekstwin/schemas/web-views.schema.json``,
    draft 2020-12): every field the page reads, required where the engines always
    write it. The report section refers to ``report.schema.json``."""
    text = resources.files("ekstwin").joinpath(f"schemas/{VIEWS_SCHEMA}").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


class QueryError(ConfigError):
    """A query from the page that cannot be answered (bad input, unknown pod)."""


def _port(port: str) -> int:
    try:
        number = int(port)
    except ValueError as exc:
        raise QueryError(f"port {port!r} is not a number") from exc
    if not 0 <= number <= 65535:
        raise QueryError(f"port {number} is outside 0-65535")
    return number


def section(compute: Callable[[], object]) -> dict[str, object]:
    """Run one engine call; an engine that raises becomes a section not available."""
    try:
        return {"available": True, "data": compute()}
    except Exception as exc:  # one engine failing must not break the page
        log.warning("web section failed: %s", exc, exc_info=True)
        return {"available": False, "error": f"{type(exc).__name__}: {exc}"}


def ranges(indices: Any) -> list[int]:
    """Sorted distinct indices as flat inclusive ranges ``[a0, b0, a1, b1, ...]``."""
    out: list[int] = []
    for i in indices:
        if out and i == out[-1] + 1:
            out[-1] = i
        else:
            out.extend((i, i))
    return out


def _bit_ranges(bits: int) -> list[int]:
    """The set bits of ``bits`` as flat inclusive ranges (runs found in C, by regex)."""
    out: list[int] = []
    for run in _ONES.finditer(bin(bits)[:1:-1]):
        out.extend((run.start(), run.end() - 1))
    return out


class _Interned:
    """Distinct JSON values by index (connection sets, decisions)."""

    def __init__(self) -> None:
        self.items: list[object] = []
        self._index: dict[object, int] = {}

    def __call__(self, key: object, make: Callable[[], object]) -> int:
        got = self._index.get(key)
        if got is None:
            got = self._index[key] = len(self.items)
            self.items.append(make())
        return got

    def value(self, key: object, value: object) -> int:
        return self(key, lambda: value)


def _grouped(model: Any, by: Any, names: list[str], conns: _Interned) -> list[object]:
    """The engine's matrix at ``by`` granularity as rows ``[source, [[conn, dst
    ranges], ...]]`` over the indices of ``names``."""
    from ekstwin.engines.net import matrix

    index = {n: i for i, n in enumerate(names)}
    rows: list[object] = []
    by_id: dict[int, int] = {}
    for source, row in matrix(model, by).rows():
        cells: dict[int, list[int]] = {}
        for destination, allow in row:
            c = by_id.get(id(allow))
            if c is None:
                c = by_id[id(allow)] = conns(allow, allow.to_json)
            cells.setdefault(c, []).append(index[destination])
        rows.append([index[source], [[c, ranges(d)] for c, d in sorted(cells.items())]])
    return rows


def _decision(d: Any, subject: str) -> Callable[[], object]:
    """A decision's JSON; one that names its pod (no policy, not enforced) carries
    ``subject``, the name in its message (the class representative's), so the page
    names the pod it explains instead."""
    from ekstwin.engines.net import Reason

    def make() -> object:
        out = d.to_json()
        if d.reason in (Reason.NO_POLICY, Reason.NOT_ENFORCED) and subject in d.message:
            out["subject"] = subject
        return out

    return make


def _network(result: LoadResult, ctx: Any = None, *, explain: bool = True) -> dict[str, object]:
    """The connectivity, compact: pods, their classes and groups, the engine's
    namespace and workload matrices over indices, Services with their backends,
    and (``explain``) each class's egress and ingress decision tables, from which
    the page explains any pair and port by lookup (docs/web.md)."""
    from ekstwin.engines.net import Granularity, NetModel
    from ekstwin.engines.net import _service_backends as service_backends
    from ekstwin.engines.net.policies import Direction

    # the checks' compiled model when they ran in this context (one compile per run)
    if ctx is not None:
        from ekstwin.engines.net.lint import net_model

        model = net_model(result.platform, ctx)
    else:
        model = NetModel(result.platform)
    pods = sorted(model.endpoints)
    pod_index = {p: i for i, p in enumerate(pods)}
    workloads = sorted({ep.pod.workload_key for ep in model.endpoints.values() if ep.pod})
    namespaces = sorted({ep.namespace or "" for ep in model.endpoints.values()})
    w_index = {w: i for i, w in enumerate(workloads)}
    ns_index = {n: i for i, n in enumerate(namespaces)}
    conns = _Interned()
    pod_rows: list[object] = []
    for key in pods:
        ep = model.endpoints[key]
        pod = ep.pod
        port = None
        if pod is not None:
            first = next(iter(pod.spec.all_ports), None)
            if first is not None:
                port = [first.protocol.value, first.container_port]
        workload = w_index[pod.workload_key] if pod is not None else None
        pod_rows.append([key, workload, ns_index[ep.namespace or ""], model.class_of[key], port])
    services: list[object] = []
    for svc in sorted(
        result.platform.services, key=lambda s: (s.meta.namespace or "", s.meta.name)
    ):
        ports: list[object] = []
        for sp in svc.ports:
            backends, problem = service_backends(model, svc, sp.port, sp.protocol.value)
            ports.append(
                {
                    "port": sp.port,
                    "protocol": sp.protocol.value,
                    "backends": [[pod_index[ep.name], tp] for ep, tp in backends],
                    "problem": problem,
                }
            )
        name = f"{svc.meta.ns}/svc/{svc.meta.name}"
        services.append({"name": name, "ports": ports})
    data: dict[str, object] = {
        "pods": pod_rows,
        "workloads": workloads,
        "namespaces": namespaces,
        "classes": len(model.class_reps),
        "services": services,
        "matrix": {
            "namespace": _grouped(model, Granularity.NAMESPACE, namespaces, conns),
            "workload": _grouped(model, Granularity.WORKLOAD, workloads, conns),
        },
        "explain": None,
        # who enforces the policies (a verdict's "enforcer", as net can says it)
        "enforcer": model.enforcement.to_json(),
    }
    if explain:
        decisions = _Interned()
        sides = _Interned()
        class_sides: list[list[int]] = []
        for ci in range(len(model.class_reps)):
            subject = model.class_reps[ci].name
            pair: list[int] = []
            for direction in (Direction.EGRESS, Direction.INGRESS):
                table = [
                    [
                        _bit_ranges(bits),
                        [
                            [conns(c, c.to_json), decisions(d, _decision(d, subject))]
                            for c, d in regions
                        ],
                    ]
                    for bits, regions in model.side_decisions(direction, ci)
                ]
                text = json.dumps(table, separators=(",", ":"))
                pair.append(sides.value(text, table))
            class_sides.append(pair)
        data["explain"] = {
            "decisions": decisions.items,
            "sides": sides.items,
            "class_sides": class_sides,
        }
    data["conns"] = conns.items
    return data


def _identity(result: LoadResult) -> dict[str, object]:
    from ekstwin.engines.iam import IamAnalyzer

    analyzer = IamAnalyzer(result.platform)
    seen: set[str] = set()
    pods: list[dict[str, object]] = []
    for pod in sorted(result.platform.pods, key=lambda p: p.key):
        workload = pod.workload_key
        if workload in seen:
            continue
        seen.add(workload)
        access = analyzer.pod_access(pod).to_json()
        if not access.get("roles") and not access.get("image_pulls"):
            continue
        pods.append({"workload": workload, **access})
    platform = result.platform
    return {
        "pods": pods,
        "people": _people(result),
        # why a list is empty: the input, not the platform, is missing
        "people_empty": None
        if platform.realms
        else "no Keycloak realm export given: people cannot be followed from GitHub to AWS and"
        " Kubernetes",
        "pods_empty": None
        if platform.aws.accounts
        else "no aws.json given: IAM roles, IRSA trust and node roles cannot be judged",
    }


def _people(result: LoadResult) -> list[object]:
    from ekstwin.engines.access import AccessAnalyzer

    analyzer = AccessAnalyzer(result.platform)
    out: list[object] = []
    for person in analyzer.people():
        try:
            out.append(analyzer.user(person.login).to_json())
        except EkstwinError as exc:
            out.append({"login": person.login, "error": str(exc)})
    return out


def _dns(result: LoadResult) -> dict[str, object]:
    """The plan with the options the platform's ExternalDNS runs with (as the DNS
    checks see them)."""
    from ekstwin.engines.dns import plan_dns
    from ekstwin.engines.dns.config import platform_dns

    options = platform_dns(result.platform).options
    plan = plan_dns(result.platform, options)
    return {
        "owner_id": options.owner_id,
        # the prefix of the annotations ExternalDNS reads (not in the plan's JSON)
        "annotation_prefix": plan.annotation_prefix,
        "plan": plan.to_json(),
    }


def _report(result: LoadResult, ctx: Any = None, baseline: Baseline | None = None) -> object:
    from ekstwin.analysis import analyze
    from ekstwin.reporters.json_report import report_document

    return report_document(analyze(result, ctx=ctx, baseline=baseline))


def _ingress(result: LoadResult) -> object:
    from ekstwin.engines.ingress import build_albs

    return build_albs(result.platform).to_json()


def _ipam(result: LoadResult) -> object:
    """The plan as it is, and after each zone with nodes is lost (``ipam plan
    --lose-az ZONE``), shaped as the storage section."""
    from ekstwin.engines.ipam.plan import Scenario, plan
    from ekstwin.engines.ipam.topology import node_zone

    now = plan(result.platform)
    # zones the input names (a node's label, its instance's subnet), not the one the
    # plan assumes for nodes without any
    subnets = {s.subnet_id for s in result.platform.aws.subnets}
    labelled = {node_zone(n) for n in result.platform.nodes}
    zones = sorted({n.zone for n in now.nodes if n.subnet_id in subnets or n.zone in labelled})
    return {
        "now": now.to_json(),
        "lose_az": {z: plan(result.platform, Scenario(lose_az=z)).to_json() for z in zones},
    }


def _storage(result: LoadResult) -> object:
    """The plan as it is, and with each zone lost (``storage plan --lose-az ZONE``)."""
    from ekstwin.engines.storage import storage_plan

    now = storage_plan(result.platform)
    return {
        "now": now.to_json(),
        "lose_az": {zone: storage_plan(result.platform, zone).to_json() for zone in now.zones},
    }


def _diff(old: LoadResult, new: LoadResult) -> object:
    from ekstwin.engines.net import NetModel
    from ekstwin.engines.net.diff import diff

    return diff(NetModel(old.platform), NetModel(new.platform)).to_json()


def build_views(
    result: LoadResult,
    *,
    inputs: list[str],
    compare: LoadResult | None = None,
    compare_inputs: list[str] | None = None,
    baseline: Baseline | None = None,
    explain: bool = True,
    why_limit: int = WHY_LIMIT,
    change_limit: int = CHANGE_LIMIT,
) -> dict[str, object]:
    """Every view of the platform as one JSON-serialisable document; findings in
    ``baseline`` are shown apart as accepted. ``explain`` False leaves out the
    decision tables (``serve`` answers each explanation per request instead);
    the Diff tab gets the first ``change_limit`` changes, the first ``why_limit``
    of them with their explanations (:func:`bound_diff`)."""
    from ekstwin.engines.checks import CheckContext

    ctx = CheckContext()
    sections: dict[str, object] = {
        "report": section(lambda: _report(result, ctx, baseline)),
        "network": section(lambda: _network(result, ctx, explain=explain)),
        "identity": section(lambda: _identity(result)),
        "ingress": section(lambda: _ingress(result)),
        "dns": section(lambda: _dns(result)),
        "ipam": section(lambda: _ipam(result)),
        "storage": section(lambda: _storage(result)),
    }
    if compare is not None:
        old = compare
        sections["diff"] = section(
            lambda: {"old": compare_inputs or [], **_diff_obj(old, result, why_limit, change_limit)}
        )
    return {
        "schema": SCHEMA,
        "version": _VERSION,
        "title": "ekstwin: " + ", ".join(inputs),
        "inputs": list(inputs),
        "sections": sections,
        "diagnostics": [str(d) for d in result.diagnostics],
        "docs_base": DOCS_BASE,
    }


def _diff_obj(
    old: LoadResult, new: LoadResult, why_limit: int, change_limit: int
) -> dict[str, object]:
    data = _diff(old, new)
    assert isinstance(data, dict)
    return bound_diff(data, why_limit, change_limit)


def bound_diff(diff: dict[str, Any], why_limit: int, change_limit: int) -> dict[str, object]:
    """The net diff JSON bounded for the page, so one views document stays small
    however many flows change (docs/web.md): the first ``change_limit`` changes
    (``changes_total`` counts them all), and of those only the first ``why_limit``
    keep their explanations (``why_old``, ``why_new``: a verdict each, the bulk
    of a change); the others keep their flow and ports, and ``why_omitted``
    counts them. ``ekstwin net diff`` lists and explains every change."""
    changes: list[dict[str, object]] = diff["changes"]
    sent = changes[:change_limit]
    kept = [
        c if i < why_limit else {k: v for k, v in c.items() if k not in _WHY_KEYS}
        for i, c in enumerate(sent)
    ]
    return {
        **diff,
        "changes": kept,
        "changes_total": len(changes),
        "change_limit": change_limit,
        "why_limit": why_limit,
        "why_omitted": max(0, len(sent) - why_limit),
    }


def path_answer(
    model: Any, source: str, destination: str, port: int, protocol: str
) -> dict[str, object]:
    """Can ``source`` reach ``destination`` on ``protocol``/``port``, over every pod
    pair of the two sides (each a workload ``NS/NAME``, a pod, a namespace, or as
    destination a Service ``NS/svc/NAME`` judged per backing pod at its target
    port): how many pairs are allowed, and one allowed and one denied pair with
    the engine's verdict. Pods of one class are decided alike, so one pair per
    (source class, destination class, port) is asked. The page computes the same
    answer from the report's tables (web/src/netdata.js ``path``)."""
    from ekstwin.engines.net import _service_backends as service_backends

    platform = model.platform

    pods = [model.endpoints[k] for k in sorted(model.endpoints)]

    def resolve(spec: str) -> tuple[str, list[Any], Any, str] | None:
        text = spec.strip()
        parts = text.split("/")
        if len(parts) == 3 and parts[1] == "svc":
            svc = platform.service(parts[0], parts[2])
            if svc is not None:
                return "service", [], svc, text
        if "/" not in text:
            # a workload as the graph labels it (without its namespace), when unique
            named = {
                ep.pod.workload_key
                for ep in pods
                if ep.pod is not None and ep.pod.workload_key.split("/", 1)[1] == text
            }
            if len(named) == 1 and not any(ep.namespace == text for ep in pods):
                text = named.pop()
        matches: tuple[tuple[str, Callable[[Any], bool]], ...] = (
            ("workload", lambda ep: ep.pod is not None and ep.pod.workload_key == text),
            ("pod", lambda ep: ep.name == text),
            ("namespace", lambda ep: ep.namespace == text),
        )
        for kind, match in matches:
            found = [ep for ep in pods if match(ep)]
            if found:
                return kind, found, None, text
        return None

    src = resolve(source)
    dst = resolve(destination)
    if src is None:
        return {"error": f"no workload, pod, namespace or Service named {source}"}
    if dst is None:
        return {"error": f"no workload, pod, namespace or Service named {destination}"}
    if src[0] == "service":
        return {"error": "a Service cannot be the source of a flow"}
    problem: str | None = None
    if dst[0] == "service":
        targets, problem = service_backends(model, dst[2], port, protocol)
    else:
        targets = [(ep, port) for ep in dst[1]]
    groups: dict[tuple[int, int], list[Any]] = {}
    for ep, tport in targets:
        groups.setdefault((model.class_of[ep.name], tport), []).append(ep)
    by_class: dict[int, list[Any]] = {}
    for ep in src[1]:
        by_class.setdefault(model.class_of[ep.name], []).append(ep)
    pairs = allowed_pairs = 0
    example: object = None
    denied: object = None
    for src_pods in by_class.values():
        names = {ep.name for ep in src_pods}
        for (_, tport), dst_pods in groups.items():
            own = sum(1 for ep in dst_pods if ep.name in names)  # a pod to itself
            total = len(src_pods) * len(dst_pods)
            pairs += total
            allowed_pairs += own
            a = src_pods[0]
            b = next((ep for ep in dst_pods if ep.name != a.name), None)
            if b is None:
                b = dst_pods[0]
                a = next((ep for ep in src_pods if ep.name != b.name), b)
            v = model.verdict(a, b, protocol, tport)
            if v.allowed:
                allowed_pairs += total - own
                example = example or v.to_json()
            elif denied is None:
                denied = v.to_json()
    return {
        "from": src[3],
        "to": dst[3],
        "from_kind": src[0],
        "to_kind": dst[0],
        "protocol": protocol,
        "port": port,
        "allowed": allowed_pairs > 0,
        "all_allowed": pairs > 0 and allowed_pairs == pairs,
        "pairs": pairs,
        "allowed_pairs": allowed_pairs,
        "problem": problem,
        "example": example,
        "denied": denied,
    }


@dataclass(frozen=True, slots=True)
class WebQueries:
    """The interactive queries of ``ekstwin serve``: each returns the engine's JSON."""

    result: LoadResult
    net_model: Callable[[], Any] | None = None

    def path(self, source: str, destination: str, port: str, protocol: str) -> object:
        """The path query of the Connectivity tab, answered per request."""
        from ekstwin.engines.net import NetModel

        number = _port(port)
        proto = (protocol or "TCP").upper()
        if proto not in ("TCP", "UDP", "SCTP", "ICMP"):
            raise QueryError(f"unknown protocol {protocol!r} (TCP, UDP, SCTP or ICMP)")
        if not source or not destination:
            raise QueryError("path needs from and to (a workload NS/NAME, pod, or NS/svc/NAME)")
        model = self.net_model() if self.net_model else NetModel(self.result.platform)
        answer = path_answer(model, source, destination, number, proto)
        if "error" in answer:
            raise QueryError(str(answer["error"]))
        return answer

    def can(self, source: str, destination: str, port: str, protocol: str) -> object:
        from ekstwin.engines.net import NetQueryError, can

        number = _port(port)
        try:
            return can(
                self.result.platform, source, destination, number, protocol or "TCP"
            ).to_json()
        except NetQueryError as exc:
            raise QueryError(str(exc)) from exc

    def who_can(self, verb: str, resource: str, namespace: str | None) -> object:
        from ekstwin.engines.access import AccessAnalyzer, ResourceRequest

        if not verb or not resource:
            raise QueryError("who-can needs a verb and a resource (get pods, create pods/exec)")
        if resource.startswith("/"):
            request = ResourceRequest(verb, non_resource_url=resource)
        else:
            res, _, sub = resource.partition("/")
            res, _, group = res.partition(".")
            request = ResourceRequest(verb, res, sub, group, namespace or None, "")
        try:
            return AccessAnalyzer(self.result.platform).who_can(request).to_json()
        except EkstwinError as exc:
            raise QueryError(str(exc)) from exc

    def route(self, url: str) -> object:
        from ekstwin.engines.ingress import route

        if not url:
            raise QueryError("route needs a URL (https://host/path)")
        try:
            return route(self.result.platform, url).to_json()
        except (EkstwinError, ValueError) as exc:
            raise QueryError(str(exc)) from exc
