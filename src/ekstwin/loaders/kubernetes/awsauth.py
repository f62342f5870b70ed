"""The ``aws-auth`` ConfigMap of ``kube-system``: its ``mapRoles``,
``mapUsers`` and ``mapAccounts``, read as aws-iam-authenticator reads them."""

from __future__ import annotations

import re

import yaml

from ekstwin.findings import Diagnostic
from ekstwin.loaders.kubernetes.fields import type_name
from ekstwin.model.k8s import AwsAuth, AwsAuthEntry, AwsAuthSso, ConfigMap

__all__ = ["aws_auth", "not_string_values"]


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
            f"aws-auth {key} entry {i}: {name} must be a string, got {type_name(value)}",
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
                f"aws-auth {key} entry {i}: groups must be a list, got {type_name(value)}",
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
                f"aws-auth {key} entry {i}: sso must be a mapping, got {type_name(value)}",
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
                    f"aws-auth {key} entry {i} is {type_name(e)}, not a mapping",
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
                    f"aws-auth mapAccounts item {i} is {type_name(raw[i])}, not an account ID",
                    "write the account ID as a string",
                )
                continue
            out.append(node)
        return tuple(out)


def not_string_values(data: object) -> list[tuple[str, object]]:
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


def aws_auth(cm: ConfigMap, diags: list[Diagnostic]) -> AwsAuth:
    reader = _AwsAuthReader(cm, diags)
    return AwsAuth(
        map_roles=reader.entries("mapRoles", "rolearn"),
        map_users=reader.entries("mapUsers", "userarn"),
        map_accounts=reader.accounts(),
        source=cm.meta.source,
    )
