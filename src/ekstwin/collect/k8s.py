"""Collect a Kubernetes cluster into a directory of List files, read-only.

Uses the official ``kubernetes`` Python client for the kubeconfig, the
credentials and the HTTP calls, and issues only discovery (``/api``,
``/apis``, ``/apis/GROUP/VERSION``) and ``list`` requests for the kinds in
:data:`ekstwin.collect.policy.KUBE_RESOURCES`. Custom resources (Calico,
Istio) are listed when discovery shows their API; Calico's API server group
``projectcalico.org`` is preferred over its CRD group ``crd.projectcalico.org``.
Every list is paginated with ``limit`` and ``continue``; an expired continue
token (410 Gone) restarts that list once, and a token the server repeats stops
it with a diagnostic. An answer that is not JSON (a proxy's HTML page) or not a
list is a diagnostic for that kind.

Each kind goes to ``DIR/<group>_<resource>.json``, a ``List`` whose items carry
their ``apiVersion`` and ``kind`` (the API server leaves them out of list
items) - the shape ``kubectl get ... -o json`` writes, which ``ekstwin`` reads.
Secret values are dropped before anything is written. A kind that cannot be
listed (403, an error) becomes a diagnostic; the others are still collected.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ekstwin.collect.policy import CALICO_GROUPS, KUBE_RESOURCES, KubeResource
from ekstwin.errors import ConfigError, EkstwinError
from ekstwin.findings import Diagnostic, DiagnosticLevel
from ekstwin.loaders.inputs import sanitize
from ekstwin.model.source import Source

__all__ = ["K8sCollectOptions", "K8sCollection", "collect_k8s", "kubectl_command", "list_path"]

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class K8sCollectOptions:
    context: str | None = None
    kubeconfig: str | None = None
    page_size: int = 500


@dataclass(frozen=True, slots=True)
class K8sCollection:
    """What was written: objects per file, and what could not be listed."""

    counts: dict[str, int] = field(default_factory=dict)
    diagnostics: tuple[Diagnostic, ...] = ()


class _HttpError(EkstwinError):
    def __init__(self, status: int, reason: str, body: str) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason
        self.body = body


class _Api:
    """GET requests through the kubernetes client's ApiClient (auth, TLS, proxy)."""

    def __init__(self, api_client: Any) -> None:
        self.client = api_client
        exceptions = importlib.import_module("kubernetes.client.exceptions")
        self._api_exception: type[Exception] = exceptions.ApiException

    def get(self, path: str, query: list[tuple[str, str]] | None = None) -> dict[str, Any]:
        query = query or []
        try:
            if hasattr(self.client, "param_serialize"):  # kubernetes >= 31
                method, url, headers, _body, _post = self.client.param_serialize(
                    "GET",
                    path,
                    query_params=query,
                    header_params={"Accept": "application/json"},
                    auth_settings=["BearerToken"],
                )
                response = self.client.call_api(method, url, header_params=headers)
                response.read()
            else:
                response = self.client.call_api(
                    path,
                    "GET",
                    query_params=query,
                    header_params={"Accept": "application/json"},
                    auth_settings=["BearerToken"],
                    _preload_content=False,
                    _return_http_data_only=True,
                )
        except self._api_exception as exc:
            raise _HttpError(
                int(getattr(exc, "status", 0) or 0),
                str(getattr(exc, "reason", "")),
                str(getattr(exc, "body", "")),
            ) from exc
        status = int(getattr(response, "status", 200))
        data = response.data
        text = data.decode("utf-8") if isinstance(data, bytes) else str(data)
        if status >= 300:
            raise _HttpError(status, str(getattr(response, "reason", "")), text)
        try:
            parsed = json.loads(text)
        except ValueError as exc:  # a proxy's HTML page, a truncated body
            raise _HttpError(
                status, f"the answer is not JSON ({_start(text)}); a proxy may have answered", ""
            ) from exc
        if not isinstance(parsed, dict):
            raise _HttpError(status, f"the answer is not a JSON object ({_start(text)})", "")
        return parsed


def _start(text: str) -> str:
    """The first characters of an answer, on one line, for a message."""
    line = " ".join(text.split())
    return repr(line[:60] + ("..." if len(line) > 60 else ""))


#: Raised by the code that reads a list or discovery answer of the wrong shape.
_SHAPE_ERRORS = (KeyError, TypeError, AttributeError, ValueError)


def list_path(resource: KubeResource, version: str) -> str:
    if not resource.group:
        return f"/api/{version}/{resource.resource}"
    return f"/apis/{resource.group}/{version}/{resource.resource}"


def kubectl_command() -> str:
    """The ``kubectl get`` that lists the same kinds, for users who run it themselves.

    Resources of API groups the cluster does not serve (Calico, Istio) make
    kubectl fail; drop them from the list.
    """
    calico = CALICO_GROUPS[0]
    names = [
        r.resource if not r.group else f"{r.resource}.{r.group}"
        for r in KUBE_RESOURCES
        if r.group not in CALICO_GROUPS or r.group == calico
    ]
    return f"kubectl get {','.join(names)} -A -o yaml > cluster.yaml"


def _in_cluster(options: K8sCollectOptions) -> bool:
    """Inside a pod (a CronJob) with no kubeconfig at all: the pod's service account
    (its token and CA, and KUBERNETES_SERVICE_HOST), as kubectl does."""
    return (
        options.kubeconfig is None
        and options.context is None
        and bool(os.environ.get("KUBERNETES_SERVICE_HOST"))
        and not os.environ.get("KUBECONFIG")
        and not Path("~/.kube/config").expanduser().is_file()
    )


def _api_client(options: K8sCollectOptions) -> Any:
    try:
        config = importlib.import_module("kubernetes.config")
    except ModuleNotFoundError as exc:
        raise ConfigError(
            "ekstwin collect k8s needs the kubernetes client - install it with "
            "'pip install kubernetes'"
        ) from exc
    errors = importlib.import_module("kubernetes.config.config_exception")
    if _in_cluster(options):
        client = importlib.import_module("kubernetes.client")
        configuration = client.Configuration()
        try:
            config.load_incluster_config(client_configuration=configuration)
        except (errors.ConfigException, OSError) as exc:
            raise ConfigError(f"cannot use the pod's service account: {exc}") from exc
        return client.ApiClient(configuration)
    import yaml  # the kubernetes client reads the kubeconfig with PyYAML

    try:
        return config.new_client_from_config(
            config_file=options.kubeconfig, context=options.context, persist_config=False
        )
    except (errors.ConfigException, OSError) as exc:
        raise ConfigError(f"cannot load the kubeconfig: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(
            f"cannot load the kubeconfig: {options.kubeconfig or '$KUBECONFIG'} is not YAML"
            f"{where} - give a kubeconfig file with --kubeconfig"
        ) from exc
    except (TypeError, AttributeError, ValueError) as exc:  # YAML that is not a kubeconfig
        raise ConfigError(
            f"cannot load the kubeconfig: {options.kubeconfig or '$KUBECONFIG'} is not a "
            "kubeconfig (a YAML mapping of clusters, contexts and users) - give a kubeconfig "
            "file with --kubeconfig"
        ) from exc


def _versions(api: _Api) -> dict[str, str]:
    """Group -> preferred version, "" being the core group."""
    core = api.get("/api")
    out = {"": str((core.get("versions") or ["v1"])[0])}
    for group in api.get("/apis").get("groups") or []:
        preferred = (group.get("preferredVersion") or {}).get("version")
        versions = group.get("versions") or []
        version = preferred or (versions[0].get("version") if versions else None)
        if group.get("name") and version:
            out[str(group["name"])] = str(version)
    return out


def _listable(api: _Api, group: str, version: str) -> set[str]:
    path = f"/api/{version}" if not group else f"/apis/{group}/{version}"
    return {
        str(r["name"])
        for r in api.get(path).get("resources") or []
        if "/" not in str(r.get("name", "")) and "list" in (r.get("verbs") or [])
    }


def _pages(api: _Api, path: str, page_size: int) -> Iterator[dict[str, Any]]:
    token: str | None = None
    seen: set[str] = set()
    while True:
        query = [("limit", str(page_size))]
        if token:
            query.append(("continue", token))
        page = api.get(path, query)
        if not isinstance(page.get("items") or [], list) or not isinstance(
            page.get("metadata") or {}, dict
        ):
            raise _HttpError(0, "the answer is not a list (no 'items' list)", "")
        yield page
        token = (page.get("metadata") or {}).get("continue") or None
        if not token:
            return
        token = str(token)
        if token in seen:  # the server would hand out the same pages forever
            raise _HttpError(0, "the server repeated a continue token; the list was stopped", "")
        seen.add(token)


def _list(api: _Api, resource: KubeResource, version: str, page_size: int) -> dict[str, Any]:
    path = list_path(resource, version)
    api_version = version if not resource.group else f"{resource.group}/{version}"
    for attempt in (1, 2):
        items: list[object] = []
        resource_version = ""
        try:
            for page in _pages(api, path, page_size):
                if not resource_version:
                    resource_version = str((page.get("metadata") or {}).get("resourceVersion", ""))
                for item in page.get("items") or []:
                    if isinstance(item, dict):
                        obj = {"apiVersion": api_version, "kind": resource.kind, **item}
                        items.append(sanitize(obj))
        except _HttpError as exc:
            if exc.status == 410 and attempt == 1:
                continue  # the continue token expired: list again from the start
            raise
        return {
            "apiVersion": "v1",
            "kind": "List",
            "metadata": {"resourceVersion": resource_version},
            "items": items,
        }
    raise AssertionError("unreachable")


def _diagnostic(resource: KubeResource, path: str, exc: _HttpError) -> Diagnostic:
    hint = (
        "bind the ClusterRole in docs/collect-clusterrole.yaml to the collecting user"
        if exc.status in (401, 403)
        else "run the collector again; the other kinds were collected"
    )
    return Diagnostic(
        Source(f"k8s:{path}"),
        f"cannot list {resource.resource}"
        + (f".{resource.group}" if resource.group else "")
        + (f": {exc.status} {exc.reason}".rstrip() if exc.status else f": {exc.reason}"),
        hint,
        level=DiagnosticLevel.WARNING,
        code="collect-k8s",
    )


def collect_k8s(
    options: K8sCollectOptions,
    directory: str | Path,
    *,
    api_client: Any = None,
    progress: Progress | None = None,
) -> K8sCollection:
    """List every kind into ``directory``; ``api_client`` defaults to the kubeconfig's."""
    api = _Api(api_client if api_client is not None else _api_client(options))
    out = Path(directory)
    http_errors = importlib.import_module("urllib3.exceptions")
    try:
        versions = _versions(api)
    except (_HttpError, OSError, *_SHAPE_ERRORS, http_errors.HTTPError) as exc:
        raise ConfigError(f"cannot reach the Kubernetes API (discovery failed): {exc}") from exc
    calico = next((g for g in CALICO_GROUPS if g in versions), None)
    wanted = [
        r
        for r in KUBE_RESOURCES
        if r.group in versions and (r.group not in CALICO_GROUPS or r.group == calico)
    ]
    diagnostics: list[Diagnostic] = [
        Diagnostic(
            Source(f"k8s:/apis/{r.group}"),
            f"the API group {r.group} is not served; {r.resource} were not collected",
            "",
            level=DiagnosticLevel.WARNING,
            code="collect-k8s",
        )
        for r in KUBE_RESOURCES
        if not r.optional and r.group not in versions
    ]
    listable: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    out.mkdir(parents=True, exist_ok=True)
    for done, resource in enumerate(wanted):
        if progress is not None:
            progress(resource.resource, done, len(wanted))
        version = versions[resource.group]
        path = list_path(resource, version)
        try:
            if resource.group not in listable:
                listable[resource.group] = _listable(api, resource.group, version)
            if resource.resource not in listable[resource.group]:
                continue  # the group is served without this kind (an older Istio, ...)
            document = _list(api, resource, version, options.page_size)
        except _HttpError as exc:
            diagnostics.append(_diagnostic(resource, path, exc))
            continue
        except _SHAPE_ERRORS as exc:  # discovery answered something else
            what = f"the answer has an unexpected shape ({type(exc).__name__}: {exc})"
            diagnostics.append(_diagnostic(resource, path, _HttpError(0, what, "")))
            continue
        except (OSError, http_errors.HTTPError) as exc:  # the connection failed midway
            what = f"the request failed ({type(exc).__name__}: {exc})"
            diagnostics.append(_diagnostic(resource, path, _HttpError(0, what, "")))
            continue
        name = f"{resource.group or 'core'}_{resource.resource}.json"
        (out / name).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        counts[name] = len(document["items"])
    if progress is not None:
        progress("done", len(wanted), len(wanted))
    return K8sCollection(counts, tuple(diagnostics))
