"""Reading files, directories and stdin: what is read, what is skipped, what is refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ekstwin.findings import Diagnostic, DiagnosticLevel
from ekstwin.loaders import inputs, load
from ekstwin.loaders.inputs import read_inputs, sanitize
from ekstwin.loaders.kubernetes import CREDENTIALS_KEY, HAD_VALUES_KEY
from ekstwin.model.source import Source

FIXTURES = Path(__file__).parent.parent / "fixtures"
FULL = FIXTURES / "manifests" / "full"

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: ns}}\n"


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_directory_is_read_recursively_skipping_hidden_and_other_files(tmp_path: Path) -> None:
    root = tmp_path / "platform"
    shutil.copytree(FULL, root)
    raw = read_inputs([str(root)])
    files = sorted({Path(d.source.file).relative_to(root).as_posix() for d in raw.kube})
    assert files == [
        "apps/network.yaml",
        "apps/workloads.yaml",
        "calico.yaml",
        "config.yaml",
        "crds.yaml",
        "istio.yaml",
        "namespaces.yaml",
        "nodes.json",
        "rbac.yaml",
        "storage.yaml",
    ]
    assert raw.diagnostics == ()
    names = {d.data["metadata"]["name"] for d in raw.kube if isinstance(d.data, dict)}
    assert "hidden" not in names and "git" not in names


def test_files_are_read_in_a_stable_sorted_order(tmp_path: Path) -> None:
    for name in ("b.yaml", "a.yml", "c/z.yaml", "c/a.YAML"):
        _write(tmp_path / name, CM.format(name=Path(name).stem.lower()))
    raw = read_inputs([str(tmp_path)])
    assert [Path(d.source.file).relative_to(tmp_path).as_posix() for d in raw.kube] == [
        "a.yml",
        "b.yaml",
        "c/a.YAML",
        "c/z.yaml",
    ]


def test_stdin_yaml_multi_document() -> None:
    text = CM.format(name="one") + "---\n" + CM.format(name="two")
    result = load(["-"], stdin_text=lambda: text)
    assert result.diagnostics == ()
    assert [(c.meta.name, c.meta.source) for c in result.platform.config_maps] == [
        ("one", Source("<stdin>", 1)),
        ("two", Source("<stdin>", 5)),
    ]
    assert result.raw.inputs == ("-",)


def test_stdin_json_list() -> None:
    text = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "List",
            "items": [
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}},
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}},
            ],
        },
        indent=2,
    )
    result = load(["-"], stdin_text=lambda: text, namespace="default")
    assert result.diagnostics == ()
    assert [
        (c.meta.ref.namespace, c.meta.name, c.meta.source) for c in result.platform.config_maps
    ] == [
        ("default", "a", Source("<stdin>", 5)),
        ("default", "b", Source("<stdin>", 12)),
    ]


def test_json_file_and_json_list_keep_item_lines(tmp_path: Path) -> None:
    single = _write(
        tmp_path / "single.json",
        '{\n  "apiVersion": "v1",\n  "kind": "ServiceAccount",\n  "metadata": {"name": "x"}\n}\n',
    )
    result = load([str(single), str(FULL / "nodes.json")], namespace="default", implied=False)
    assert result.diagnostics == ()
    assert [(sa.meta.name, sa.meta.source) for sa in result.platform.service_accounts] == [
        ("x", Source(str(single), 1))
    ]
    assert [(n.name, n.meta.source) for n in result.platform.nodes] == [
        ("ip-198-18-1-20.eu-west-1.compute.internal", Source(str(FULL / "nodes.json"), 5))
    ]


def test_yaml_list_items_keep_their_lines(tmp_path: Path) -> None:
    f = _write(
        tmp_path / "list.yaml",
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n"
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\n",
    )
    result = load([str(f)])
    assert [(c.meta.name, c.meta.source.line) for c in result.platform.config_maps] == [
        ("a", 4),
        ("b", 7),
    ]


def test_explicit_file_without_a_known_suffix_is_read(tmp_path: Path) -> None:
    yaml_file = _write(tmp_path / "manifest.txt", CM.format(name="y"))
    json_file = _write(
        tmp_path / "dump", '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}}'
    )
    result = load([str(yaml_file), str(json_file)], namespace="default")
    assert result.diagnostics == ()
    assert sorted(c.meta.name for c in result.platform.config_maps) == ["j", "y"]


def test_non_utf8_file_is_a_diagnostic_with_its_line(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.yaml", b"a: 1\nb: caf\xe9\n")
    good = _write(tmp_path / "good.yaml", CM.format(name="ok"))
    result = load([str(tmp_path)])
    assert [c.meta.name for c in result.platform.config_maps] == ["ok"]
    assert result.diagnostics == (
        Diagnostic(
            Source(str(bad), 2),
            "file is not UTF-8 text",
            "save it as UTF-8, or move it out of the folder",
            code="encoding",
        ),
    )
    assert result.input_errors
    assert good.exists()


def test_oversize_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs, "MAX_FILE_BYTES", 100)
    big = _write(tmp_path / "big.yaml", CM.format(name="big") + "#" * 200 + "\n")
    small = _write(tmp_path / "small.yaml", CM.format(name="small"))
    result = load([str(big), str(small)])
    assert [c.meta.name for c in result.platform.config_maps] == ["small"]
    size = big.stat().st_size
    assert result.diagnostics == (
        Diagnostic(
            Source(str(big)),
            f"file refused: {size} bytes is over the 100 byte limit",
            "split the file, or pass only the parts ekstwin needs",
            code="oversize",
        ),
    )


def test_nonexistent_path_is_a_diagnostic_and_the_rest_loads(tmp_path: Path) -> None:
    good = _write(tmp_path / "good.yaml", CM.format(name="ok"))
    missing = str(tmp_path / "nope")
    result = load([missing, str(good)])
    assert [c.meta.name for c in result.platform.config_maps] == ["ok"]
    assert result.diagnostics == (
        Diagnostic(
            Source(missing),
            "no such file or directory",
            "give a directory of manifests, a file, a snapshot or '-' for stdin",
            code="io",
        ),
    )


def test_json_syntax_error_names_the_line(tmp_path: Path) -> None:
    f = _write(tmp_path / "bad.json", '{\n  "kind": "ConfigMap",\n  "data": {,}\n}\n')
    result = load([str(f)])
    assert [(d.source, d.code, d.level) for d in result.diagnostics] == [
        (Source(str(f), 3), "json-syntax", DiagnosticLevel.ERROR)
    ]


def test_terraform_plan_is_a_warning_not_an_error(tmp_path: Path) -> None:
    f = _write(tmp_path / "plan.json", json.dumps({"format_version": "1.2", "planned_values": {}}))
    result = load([str(f)])
    assert [(d.code, d.level) for d in result.diagnostics] == [
        ("terraform", DiagnosticLevel.WARNING)
    ]
    assert not result.input_errors


def test_progress_is_reported_per_file(tmp_path: Path) -> None:
    for name in ("a", "b"):
        _write(tmp_path / f"{name}.yaml", CM.format(name=name))
    seen: list[tuple[int, int]] = []
    load(
        [str(tmp_path), "-"],
        stdin_text=lambda: CM.format(name="c"),
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]


# -- Secrets -------------------------------------------------------------------

SECRET_VALUES = ("c3VwZXItc2VjcmV0LXZhbHVl", "plain-text-value-xyz", "super-secret-value")


def test_sanitize_drops_secret_values_and_last_applied() -> None:
    doc = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "s",
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": '{"data":{"k":"c3VwZXI="}}',
                "team": "shop",
            },
            "managedFields": [{"manager": "kubectl"}],
        },
        "data": {"k": "c3VwZXI=", "empty": ""},
        "stringData": {"u": "plain"},
    }
    assert sanitize(doc) == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "annotations": {"team": "shop"}},
        "data": {"k": True, "empty": None},
        "stringData": {"u": True},
        HAD_VALUES_KEY: True,
        CREDENTIALS_KEY: {},  # neither "super" nor "plain" looks like a credential
    }
    again = sanitize(sanitize(doc))
    assert again == sanitize(doc)


def test_sanitize_keeps_had_values_false_for_an_empty_secret() -> None:
    doc = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": ""}}
    assert sanitize(doc) == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "data": {"k": None},
        HAD_VALUES_KEY: False,
    }


def test_sanitize_drops_managed_fields_from_every_object() -> None:
    doc = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "managedFields": [{"manager": "x"}]},
    }
    assert sanitize(doc) == {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}


def test_secret_values_are_kept_nowhere_after_loading(tmp_path: Path) -> None:
    last_applied = json.dumps(
        {"apiVersion": "v1", "kind": "Secret", "data": {"token": SECRET_VALUES[0]}}
    )
    f = _write(
        tmp_path / "secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\n  namespace: shop\n"
        f"  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{last_applied}'\n"
        f"data:\n  token: {SECRET_VALUES[0]}\n"
        f"stringData:\n  user: {SECRET_VALUES[1]}\n",
    )
    json_f = _write(
        tmp_path / "list.json",
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "List",
                "items": [
                    {
                        "apiVersion": "v1",
                        "kind": "Secret",
                        "metadata": {"name": "other", "namespace": "shop"},
                        "stringData": {"pw": SECRET_VALUES[2]},
                    }
                ],
            }
        ),
    )
    result = load([str(f), str(json_f)])
    assert result.diagnostics == ()
    text = repr(result.platform) + repr(result.raw)
    for value in SECRET_VALUES:
        assert value not in text
    assert [
        (s.meta.name, s.keys, s.had_values, s.meta.annotations) for s in result.platform.secrets
    ] == [
        ("api", ("token", "user"), True, {}),
        ("other", ("pw",), True, {}),
    ]


def test_an_empty_directory_is_an_input_error_not_silence(tmp_path: Path) -> None:
    from ekstwin.findings import DiagnosticLevel
    from ekstwin.loaders.inputs import read_inputs

    raw = read_inputs([str(tmp_path)])
    assert [(d.level, d.code, d.source, d.message) for d in raw.diagnostics] == [
        (
            DiagnosticLevel.ERROR,
            "empty",
            Source(str(tmp_path)),
            "nothing to analyse: no Kubernetes manifest, aws.json, Keycloak realm export or "
            "snapshot was found",
        )
    ]


CRONJOB_WITH_ENV = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
  namespace: orders
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"s": "wJalrXUtnFEMIK7MDENG"}'
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          initContainers:
            - name: init
              image: busybox:1.36
              env:
                - {name: GITHUB_TOKEN, value: ghp_exampleexampleexample}
          containers:
            - name: report
              image: registry.example.com/report:1.0.0
              env:
                - {name: AWS_REGION, value: eu-west-1}
                - {name: AWS_ACCESS_KEY_ID, value: AKIAIOSFODNN7EXAMPLE}
                - {name: AWS_SECRET_ACCESS_KEY, value: wJalrXUtnFEMIK7MDENG}
                - name: DB_PASSWORD
                  valueFrom: {secretKeyRef: {name: db, key: password}}
"""


def test_secret_looking_env_values_and_last_applied_are_kept_nowhere(tmp_path: Path) -> None:
    """A literal credential in a container's env (any depth: a CronJob's job
    template) is redacted in the raw input, so snapshots never hold it; the name,
    the literal-ness and non-secret settings stay."""
    f = _write(tmp_path / "cron.yaml", CRONJOB_WITH_ENV)
    result = load([str(f)])
    assert [d for d in result.diagnostics if d.level is DiagnosticLevel.ERROR] == []
    text = repr(result.platform) + repr(result.raw)
    for value in ("wJalrXUtnFEMIK7MDENG", "AKIAIOSFODNN7EXAMPLE", "ghp_exampleexampleexample"):
        assert value not in text
    (cron,) = [w for w in result.platform.workloads if w.meta.name == "report"]
    assert "kubectl.kubernetes.io/last-applied-configuration" not in cron.meta.annotations
    container = next(c for c in cron.spec.containers if c.name == "report")
    assert container.env == (
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", None),
        ("AWS_SECRET_ACCESS_KEY", None),
        ("DB_PASSWORD", None),
    )
    assert container.env_literal == {"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    assert "eu-west-1" in repr(result.raw)  # not a secret: kept


def test_only_regular_files_of_a_directory_are_read(tmp_path: Path) -> None:
    import os

    good = _write(tmp_path / "good.yaml", CM.format(name="good"))
    os.mkfifo(tmp_path / "pipe.yaml")  # reading it would block forever
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")  # size 0, never ends
    result = load([str(tmp_path)])
    assert [c.meta.name for c in result.platform.config_maps] == ["good"]
    hint = "move it out of the folder, or name it on the command line to read it"
    assert result.diagnostics == (
        Diagnostic(
            Source(str(tmp_path / "pipe.yaml")),
            "skipped: not a regular file (a named pipe)",
            hint,
            level=DiagnosticLevel.WARNING,
            code="io",
        ),
        Diagnostic(
            Source(str(tmp_path / "zero.yaml")),
            "skipped: not a regular file (a device)",
            hint,
            level=DiagnosticLevel.WARNING,
            code="io",
        ),
    )
    assert good.exists()


def test_a_named_device_is_read_no_further_than_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(inputs, "MAX_FILE_BYTES", 1000)
    result = load(["/dev/zero"])
    assert result.diagnostics == (
        Diagnostic(
            Source("/dev/zero"),
            "file refused: more than 1000 bytes is over the 1000 byte limit",
            "split the file, or pass only the parts ekstwin needs",
            code="oversize",
        ),
    )


def test_stdin_is_held_to_the_same_byte_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs, "MAX_FILE_BYTES", 100)
    result = load(["-"], stdin_text=lambda: CM.format(name="c") + "#" * 200 + "\n")
    assert result.platform.config_maps == ()
    assert [(d.source, d.code, d.message) for d in result.diagnostics] == [
        (
            Source("<stdin>"),
            "oversize",
            "stdin refused: more than 100 bytes is over the 100 byte limit",
        )
    ]


def test_invalid_utf8_on_stdin_is_an_input_error_with_its_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io
    import sys

    class _Stdin(io.StringIO):
        buffer = io.BytesIO(b"a: 1\nb: \xff\xfe\n")

    monkeypatch.setattr(sys, "stdin", _Stdin())
    result = load(["-"])
    assert result.diagnostics == (
        Diagnostic(
            Source("<stdin>", 2),
            "stdin is not UTF-8 text",
            "give UTF-8 text on stdin",
            code="encoding",
        ),
    )


def test_a_json_integer_past_pythons_text_limit_is_an_input_error_with_its_line(
    tmp_path: Path,
) -> None:
    big = "7" * 5000
    path = _write(
        tmp_path / "cm.json", '{"apiVersion": "v1",\n "kind": "ConfigMap",\n "x": ' + big + "}"
    )
    stdin = '{"apiVersion": "v1",\n "kind": "ConfigMap",\n "x": ' + big + "}"
    result = load([str(path), "-"], stdin_text=lambda: stdin)
    assert [(d.source, d.code) for d in result.diagnostics] == [
        (Source("<stdin>", 3), "json-syntax"),
        (Source(str(path), 3), "json-syntax"),
    ]
    assert all("is too large" in d.message for d in result.diagnostics)
    assert result.input_errors


def test_windows_line_ends_in_files_and_json_keep_their_lines(tmp_path: Path) -> None:
    yaml_text = (CM.format(name="a") + "---\n" + CM.format(name="b")).replace("\n", "\r\n")
    json_text = (
        '{\r\n "apiVersion": "v1",\r\n "kind": "ConfigMap",\r\n'
        ' "metadata": {"name": "c", "namespace": "ns"}\r\n}\r\n'
    )
    _write(tmp_path / "a.yaml", yaml_text.encode())
    _write(tmp_path / "c.json", json_text.encode())
    result = load([str(tmp_path)])
    assert result.diagnostics == ()
    assert [(c.meta.name, c.meta.source) for c in result.platform.config_maps] == [
        ("a", Source(str(tmp_path / "a.yaml"), 1)),
        ("b", Source(str(tmp_path / "a.yaml"), 5)),
        ("c", Source(str(tmp_path / "c.json"), 1)),
    ]


def test_typed_lists_are_decoded_by_the_lists_type(tmp_path: Path) -> None:
    yaml_list = (
        "apiVersion: v1\n"
        "kind: ConfigMapList\n"
        "items:\n"
        "- metadata: {name: a, namespace: ns}\n"  # 4
        "  data: {k: v}\n"
        "- metadata: {name: b, namespace: ns}\n"  # 6
        "---\n"
        "apiVersion: apps/v1\n"
        "kind: DeploymentList\n"
        "items:\n"
        "- metadata: {name: web, namespace: ns}\n"  # 11
        "  spec:\n"
        "    template:\n"
        "      metadata: {labels: {app: web}}\n"
        "      spec: {containers: [{name: c, image: 'x:1'}]}\n"
    )
    json_list = json.dumps(
        {"apiVersion": "v1", "kind": "ServiceAccountList",
         "items": [{"metadata": {"name": "sa", "namespace": "ns"}}]},
        indent=1,
    )  # fmt: skip
    _write(tmp_path / "a.yaml", yaml_list)
    _write(tmp_path / "b.json", json_list)
    result = load([str(tmp_path)], implied=False)
    assert result.diagnostics == ()
    p = result.platform
    a = str(tmp_path / "a.yaml")
    assert [(c.meta.name, c.meta.api_version, c.data, c.meta.source) for c in p.config_maps] == [
        ("a", "v1", {"k": "v"}, Source(a, 4)),
        ("b", "v1", {}, Source(a, 6)),
    ]
    assert [(w.meta.kind, w.meta.api_version, w.meta.source) for w in p.workloads] == [
        ("Deployment", "apps/v1", Source(a, 11))
    ]
    assert p.workloads[0].meta.line_of("/spec/template/spec") == Source(a, 15)
    assert [(s.meta.name, s.meta.source) for s in p.service_accounts] == [
        ("sa", Source(str(tmp_path / "b.json"), 5))
    ]
