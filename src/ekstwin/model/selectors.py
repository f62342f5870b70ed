"""The two selector languages of the platform: Calico selectors and Kubernetes label selectors.

Calico selectors (``projectcalico.org/v3``)
-------------------------------------------

:func:`parse_calico_selector` turns a selector expression into an immutable AST of
:class:`Selector` nodes. The grammar and the meaning follow Calico's own tokenizer and
parser (``libcalico-go/lib/selector``), odd corners included:

* operators: ``k == "v"``, ``k != "v"``, ``k in {"a", "b"}``, ``k not in {...}``,
  ``k contains "s"``, ``k starts with "s"``, ``k ends with "s"``, ``has(k)``, ``all()``,
  ``global()``, ``!``, ``&&``, ``||`` and parentheses; ``!`` binds tightest, then ``&&``,
  then ``||``.
* ``!=`` and ``not in`` match when the label is absent; ``==``, ``in``, ``contains``,
  ``starts with`` and ``ends with`` never match an absent label.
* the empty (or blank) selector is ``all()``.
* ``k in {}`` is legal and matches nothing; ``k not in {}`` matches everything. A trailing
  comma in a set (``{"a",}``) is accepted, as Calico accepts it.
* ``startswith``, ``endswith`` and ``notin`` (no space) are accepted, as Calico accepts them.
* string literals are ``"..."`` or ``'...'`` without escapes: a value cannot hold its own
  quote character, and a value holding both quote characters cannot be written at all.
* only spaces and tabs separate tokens; a newline inside a selector is a syntax error in
  Calico, and so it is here.
* label keys are runs of ``[A-Za-z0-9_./-]``, at most 512 characters.
* a run of ``!`` collapses as in Calico: ``!!has(a)`` parses to ``has(a)``.

``str()`` of a node is Calico's canonical form (what ``calicoctl`` and Felix print):
``&&`` and ``||`` groups are always parenthesised, set members are sorted and de-duplicated,
values are double-quoted unless they hold a ``"``. It parses back to an equal AST (with one
exception: a hand-built ``Not(Not(x))`` prints as ``!!x``, which parses to ``x``).

``global()`` is kept as its own node, :class:`Global`. It only means something as a rule's
``namespaceSelector``, where it selects the non-namespaced endpoints (host endpoints,
global network sets) instead of namespaces. ``Global.matches`` returns ``False`` for any
label map, so that evaluating a namespaceSelector of ``global()`` against namespace labels
selects no namespace; the engine must test for :class:`Global` itself to reach the
non-namespaced endpoints. (Calico's own AST node evaluates to true; Calico gives it its
meaning when it translates the rule, which is the engine's job here.)

Kubernetes label selectors (``metav1.LabelSelector``)
-----------------------------------------------------

:class:`LabelSelector` holds ``matchLabels`` and ``matchExpressions`` exactly as written,
validated as the API server validates them. :meth:`LabelSelector.from_obj` reads the
manifest form, :func:`parse_label_selector_string` the kubectl string form
(``a=b,c!=d,e in (x,y),f notin (z),g,!h``), and :meth:`LabelSelector.to_calico` gives the
equivalent Calico AST.
"""

from __future__ import annotations

import functools
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from enum import Enum, StrEnum

from ekstwin.errors import SelectorSyntaxError
from ekstwin.model._dataclass import dataclass

__all__ = [
    "All",
    "And",
    "Contains",
    "EndsWith",
    "Eq",
    "Global",
    "Has",
    "In",
    "LabelOperator",
    "LabelRequirement",
    "LabelSelector",
    "Ne",
    "Not",
    "NotIn",
    "Or",
    "Selector",
    "StartsWith",
    "parse_calico_selector",
    "parse_label_selector_string",
]

#: Longest label key Calico's tokenizer accepts.
MAX_CALICO_KEY_LENGTH = 512

_CALICO_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-")
_CALICO_WHITESPACE = frozenset(" \t")
_PARSE_CACHE_SIZE = 8192


def _invalid(message: str, expression: str) -> SelectorSyntaxError:
    return SelectorSyntaxError(message, expression=expression, column=0)


def _check_calico_key(key: str, node: str) -> None:
    if not key:
        raise _invalid(f"{node}: a label key must not be empty", key)
    if len(key) > MAX_CALICO_KEY_LENGTH:
        raise _invalid(f"{node}: a label key is at most {MAX_CALICO_KEY_LENGTH} characters", key)
    if not _CALICO_KEY_CHARS.issuperset(key):
        raise _invalid(f"{node}: a label key may only hold letters, digits and _ . / -", key)


def _check_calico_value(value: str, node: str) -> None:
    if '"' in value and "'" in value:
        raise _invalid(
            f"{node}: a value holding both quote characters cannot be written in a selector",
            value,
        )


def _quote(value: str) -> str:
    return f"'{value}'" if '"' in value else f'"{value}"'


# --------------------------------------------------------------------------- Calico AST


class Selector(ABC):
    """A Calico selector expression (an immutable AST node)."""

    __slots__ = ()

    @abstractmethod
    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether an endpoint (or namespace, ...) with these labels is selected."""

    @abstractmethod
    def __str__(self) -> str:
        """Calico's canonical text, which parses back to an equal selector."""

    @abstractmethod
    def keys(self) -> frozenset[str]:
        """The label keys this selector reads."""


@dataclass(frozen=True, slots=True)
class All(Selector):
    """``all()``: matches every label map (also what the empty selector means)."""

    def matches(self, labels: Mapping[str, str]) -> bool:
        return True

    def __str__(self) -> str:
        return "all()"

    def keys(self) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True, slots=True)
class Global(Selector):
    """``global()``: as a namespaceSelector, the non-namespaced endpoints.

    ``matches`` is always ``False``: no namespace (and no ordinary label map) is selected by
    ``global()``. Callers that evaluate a namespaceSelector must check for this node to
    reach host endpoints and global network sets.
    """

    def matches(self, labels: Mapping[str, str]) -> bool:
        return False

    def __str__(self) -> str:
        return "global()"

    def keys(self) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True, slots=True)
class Has(Selector):
    """``has(key)``: the label is present, whatever its value."""

    key: str

    def __post_init__(self) -> None:
        _check_calico_key(self.key, "has()")

    def matches(self, labels: Mapping[str, str]) -> bool:
        return self.key in labels

    def __str__(self) -> str:
        return f"has({self.key})"

    def keys(self) -> frozenset[str]:
        return frozenset((self.key,))


@dataclass(frozen=True, slots=True)
class Eq(Selector):
    """``key == "value"``: false when the label is absent."""

    key: str
    value: str

    def __post_init__(self) -> None:
        _check_calico_key(self.key, "==")
        _check_calico_value(self.value, "==")

    def matches(self, labels: Mapping[str, str]) -> bool:
        return labels.get(self.key) == self.value

    def __str__(self) -> str:
        return f"{self.key} == {_quote(self.value)}"

    def keys(self) -> frozenset[str]:
        return frozenset((self.key,))


@dataclass(frozen=True, slots=True)
class Ne(Selector):
    """``key != "value"``: TRUE when the label is absent."""

    key: str
    value: str

    def __post_init__(self) -> None:
        _check_calico_key(self.key, "!=")
        _check_calico_value(self.value, "!=")

    def matches(self, labels: Mapping[str, str]) -> bool:
        return labels.get(self.key) != self.value

    def __str__(self) -> str:
        return f"{self.key} != {_quote(self.value)}"

    def keys(self) -> frozenset[str]:
        return frozenset((self.key,))


def _set_literal(values: frozenset[str]) -> str:
    return "{" + ", ".join(_quote(v) for v in sorted(values)) + "}"


@dataclass(frozen=True, slots=True)
class In(Selector):
    """``key in {"a", "b"}``: false when the label is absent; ``in {}`` matches nothing."""

    key: str
    values: frozenset[str]

    def __post_init__(self) -> None:
        _check_calico_key(self.key, "in")
        for value in self.values:
            _check_calico_value(value, "in")

    def matches(self, labels: Mapping[str, str]) -> bool:
        return labels.get(self.key) in self.values

    def __str__(self) -> str:
        return f"{self.key} in {_set_literal(self.values)}"

    def keys(self) -> frozenset[str]:
        return frozenset((self.key,))


@dataclass(frozen=True, slots=True)
class NotIn(Selector):
    """``key not in {"a"}``: TRUE when the label is absent; ``not in {}`` matches all."""

    key: str
    values: frozenset[str]

    def __post_init__(self) -> None:
        _check_calico_key(self.key, "not in")
        for value in self.values:
            _check_calico_value(value, "not in")

    def matches(self, labels: Mapping[str, str]) -> bool:
        return labels.get(self.key) not in self.values

    def __str__(self) -> str:
        return f"{self.key} not in {_set_literal(self.values)}"

    def keys(self) -> frozenset[str]:
        return frozenset((self.key,))


@dataclass(frozen=True, slots=True)
class Contains(Selector):
    """``key contains "s"``: false when the label is absent."""

    key: str
    value: str

    def __post_init__(self) -> None:
        _check_calico_key(self.key, "contains")
        _check_calico_value(self.value, "contains")

    def matches(self, labels: Mapping[str, str]) -> bool:
        found = labels.get(self.key)
        return found is not None and self.value in found

    def __str__(self) -> str:
        return f"{self.key} contains {_quote(self.value)}"

    def keys(self) -> frozenset[str]:
        return frozenset((self.key,))


@dataclass(frozen=True, slots=True)
class StartsWith(Selector):
    """``key starts with "s"``: false when the label is absent."""

    key: str
    value: str

    def __post_init__(self) -> None:
        _check_calico_key(self.key, "starts with")
        _check_calico_value(self.value, "starts with")

    def matches(self, labels: Mapping[str, str]) -> bool:
        found = labels.get(self.key)
        return found is not None and found.startswith(self.value)

    def __str__(self) -> str:
        return f"{self.key} starts with {_quote(self.value)}"

    def keys(self) -> frozenset[str]:
        return frozenset((self.key,))


@dataclass(frozen=True, slots=True)
class EndsWith(Selector):
    """``key ends with "s"``: false when the label is absent."""

    key: str
    value: str

    def __post_init__(self) -> None:
        _check_calico_key(self.key, "ends with")
        _check_calico_value(self.value, "ends with")

    def matches(self, labels: Mapping[str, str]) -> bool:
        found = labels.get(self.key)
        return found is not None and found.endswith(self.value)

    def __str__(self) -> str:
        return f"{self.key} ends with {_quote(self.value)}"

    def keys(self) -> frozenset[str]:
        return frozenset((self.key,))


@dataclass(frozen=True, slots=True)
class Not(Selector):
    """``!expr``."""

    operand: Selector

    def matches(self, labels: Mapping[str, str]) -> bool:
        return not self.operand.matches(labels)

    def __str__(self) -> str:
        return f"!{self.operand}"

    def keys(self) -> frozenset[str]:
        return self.operand.keys()


@dataclass(frozen=True, slots=True)
class And(Selector):
    """``a && b && ...`` (two operands or more)."""

    operands: tuple[Selector, ...]

    def __post_init__(self) -> None:
        if len(self.operands) < 2:
            raise _invalid("&&: needs at least two operands", repr(self.operands))

    def matches(self, labels: Mapping[str, str]) -> bool:
        # A plain loop: all() over a generator is markedly slower on this hot path.
        for operand in self.operands:  # noqa: SIM110
            if not operand.matches(labels):
                return False
        return True

    def __str__(self) -> str:
        return "(" + " && ".join(str(op) for op in self.operands) + ")"

    def keys(self) -> frozenset[str]:
        return frozenset().union(*(op.keys() for op in self.operands))


@dataclass(frozen=True, slots=True)
class Or(Selector):
    """``a || b || ...`` (two operands or more)."""

    operands: tuple[Selector, ...]

    def __post_init__(self) -> None:
        if len(self.operands) < 2:
            raise _invalid("||: needs at least two operands", repr(self.operands))

    def matches(self, labels: Mapping[str, str]) -> bool:
        for operand in self.operands:  # noqa: SIM110
            if operand.matches(labels):
                return True
        return False

    def __str__(self) -> str:
        return "(" + " || ".join(str(op) for op in self.operands) + ")"

    def keys(self) -> frozenset[str]:
        return frozenset().union(*(op.keys() for op in self.operands))


# --------------------------------------------------------------------------- Calico parser


class _Tok(Enum):
    LABEL = "label"
    STRING = "string"
    LBRACE = "'{'"
    RBRACE = "'}'"
    COMMA = "','"
    EQ = "'=='"
    NE = "'!='"
    IN = "'in'"
    NOT = "'!'"
    NOT_IN = "'not in'"
    CONTAINS = "'contains'"
    STARTS_WITH = "'starts with'"
    ENDS_WITH = "'ends with'"
    ALL = "'all()'"
    HAS = "'has()'"
    LPAREN = "'('"
    RPAREN = "')'"
    AND = "'&&'"
    OR = "'||'"
    GLOBAL = "'global()'"
    EOF = "end of selector"


@dataclass(frozen=True, slots=True)
class _Token:
    kind: _Tok
    value: str
    pos: int  # 0-based offset of the token's first character


_SINGLE_CHAR_TOKENS = {
    "(": _Tok.LPAREN,
    ")": _Tok.RPAREN,
    "{": _Tok.LBRACE,
    "}": _Tok.RBRACE,
    ",": _Tok.COMMA,
}
_DOUBLE_CHAR_TOKENS = {"==": _Tok.EQ, "&&": _Tok.AND, "||": _Tok.OR}
# Operators that may follow a label: (words, token). Words are separated by optional
# spaces/tabs ("notin" is accepted); a word boundary must follow the last word.
_LABEL_OPERATORS: tuple[tuple[tuple[str, ...], _Tok], ...] = (
    (("contains",), _Tok.CONTAINS),
    (("starts", "with"), _Tok.STARTS_WITH),
    (("ends", "with"), _Tok.ENDS_WITH),
    (("not", "in"), _Tok.NOT_IN),
    (("in",), _Tok.IN),
)
_OPERATOR_LIST = "==, !=, in, not in, contains, starts with or ends with"
_OPERAND_LIST = "a label, has(), all(), global(), '!' or '('"


class _CalicoTokenizer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, message: str, pos: int) -> SelectorSyntaxError:
        return SelectorSyntaxError(message, expression=self.text, column=pos + 1)

    def skip_ws(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in _CALICO_WHITESPACE:
            pos += 1
        self.pos = pos

    def ident(self) -> str:
        text, start = self.text, self.pos
        end = start
        while end < len(text) and text[end] in _CALICO_KEY_CHARS:
            end += 1
        if end - start > MAX_CALICO_KEY_LENGTH:
            raise self.error(f"label key longer than {MAX_CALICO_KEY_LENGTH} characters", start)
        self.pos = end
        return text[start:end]

    def close_paren(self, what: str) -> None:
        self.skip_ws()
        if not self.text.startswith(")", self.pos):
            raise self.error(f"expected ')' to close {what}", self.pos)
        self.pos += 1

    def label_operator(self) -> _Tok | None:
        text = self.text
        for words, kind in _LABEL_OPERATORS:
            pos = self.pos
            for index, word in enumerate(words):
                if not text.startswith(word, pos):
                    break
                pos += len(word)
                if index < len(words) - 1:
                    while pos < len(text) and text[pos] in _CALICO_WHITESPACE:
                        pos += 1
            else:
                if pos == len(text) or text[pos] not in _CALICO_KEY_CHARS:
                    self.pos = pos
                    return kind
        return None

    def tokens(self) -> list[_Token]:
        text = self.text
        out: list[_Token] = []
        while True:
            self.skip_ws()
            start = self.pos
            if start >= len(text):
                out.append(_Token(_Tok.EOF, "", start))
                return out
            char = text[start]
            pair = text[start : start + 2]
            after_label = bool(out) and out[-1].kind is _Tok.LABEL
            if char in _SINGLE_CHAR_TOKENS:
                out.append(_Token(_SINGLE_CHAR_TOKENS[char], char, start))
                self.pos += 1
            elif char in "\"'":
                end = text.find(char, start + 1)
                if end < 0:
                    raise self.error(f"unterminated string: no closing {char}", start)
                out.append(_Token(_Tok.STRING, text[start + 1 : end], start))
                self.pos = end + 1
            elif pair in _DOUBLE_CHAR_TOKENS:
                out.append(_Token(_DOUBLE_CHAR_TOKENS[pair], pair, start))
                self.pos += 2
            elif char in "=&|":
                raise self.error(f"expected '{char}{char}'", start)
            elif char == "!":
                if pair == "!=":
                    out.append(_Token(_Tok.NE, pair, start))
                    self.pos += 2
                else:
                    out.append(_Token(_Tok.NOT, char, start))
                    self.pos += 1
            elif char in "\r\n":
                raise self.error(
                    "unexpected line break (only spaces and tabs may separate the parts "
                    "of a Calico selector)",
                    start,
                )
            elif after_label:
                kind = self.label_operator()
                if kind is None:
                    raise self.error(
                        f"expected an operator ({_OPERATOR_LIST}) after label {out[-1].value!r}",
                        start,
                    )
                out.append(_Token(kind, text[start : self.pos], start))
            elif text.startswith("has(", start):
                self.pos += 4
                self.skip_ws()
                key_pos = self.pos
                key = self.ident()
                if not key:
                    raise self.error("expected a label key inside has(", key_pos)
                self.close_paren("has(")
                out.append(_Token(_Tok.HAS, key, start))
            elif text.startswith("all(", start):
                self.pos += 4
                self.close_paren("all(")
                out.append(_Token(_Tok.ALL, "all()", start))
            elif text.startswith("global(", start):
                self.pos += 7
                self.close_paren("global(")
                out.append(_Token(_Tok.GLOBAL, "global()", start))
            elif char in _CALICO_KEY_CHARS:
                out.append(_Token(_Tok.LABEL, self.ident(), start))
            else:
                raise self.error(f"unexpected character {char!r}", start)


def calico_selector_tokens(text: str) -> tuple[tuple[str, str | None], ...]:
    """The tokens of a Calico selector as (kind, value): kinds are the operator
    texts (``==``, ``not in``, ``has()``, ``(``...), ``label``, ``string`` and
    ``end``; the value is kept for labels, strings and ``has()`` only. Raises
    :class:`SelectorSyntaxError` where Calico's tokenizer fails."""
    out: list[tuple[str, str | None]] = []
    for tok in _CalicoTokenizer(text).tokens():
        if tok.kind is _Tok.EOF:
            out.append(("end", None))
        elif tok.kind in (_Tok.LABEL, _Tok.STRING):
            out.append((tok.kind.value, tok.value))
        elif tok.kind is _Tok.HAS:
            out.append(("has()", tok.value))
        else:
            out.append((tok.kind.value.strip("'"), None))
    return tuple(out)


_VALUE_NODES: dict[_Tok, type[Eq | Ne | Contains | StartsWith | EndsWith]] = {
    _Tok.EQ: Eq,
    _Tok.NE: Ne,
    _Tok.CONTAINS: Contains,
    _Tok.STARTS_WITH: StartsWith,
    _Tok.ENDS_WITH: EndsWith,
}


def _describe(token: _Token) -> str:
    if token.kind is _Tok.EOF:
        return "end of selector"
    if token.kind is _Tok.LABEL:
        return f"label {token.value!r}"
    if token.kind is _Tok.STRING:
        return f"string {_quote(token.value)}"
    return str(token.kind.value)


class _CalicoParser:
    def __init__(self, text: str, tokens: list[_Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind is not _Tok.EOF:
            self.index += 1
        return token

    def error(self, message: str, token: _Token) -> SelectorSyntaxError:
        return SelectorSyntaxError(
            f"{message}, found {_describe(token)}", expression=self.text, column=token.pos + 1
        )

    def parse(self) -> Selector:
        if self.peek().kind is _Tok.EOF:
            return All()
        node = self.parse_or()
        token = self.peek()
        if token.kind is not _Tok.EOF:
            raise self.error("expected '&&', '||' or the end of the selector", token)
        return node

    def parse_or(self) -> Selector:
        operands = [self.parse_and()]
        while self.peek().kind is _Tok.OR:
            self.take()
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def parse_and(self) -> Selector:
        operands = [self.parse_operation()]
        while self.peek().kind is _Tok.AND:
            self.take()
            operands.append(self.parse_operation())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def parse_operation(self) -> Selector:
        negated = False
        while self.peek().kind is _Tok.NOT:
            self.take()
            negated = not negated
        node = self.parse_operand()
        return Not(node) if negated else node

    def parse_operand(self) -> Selector:
        token = self.take()
        kind = token.kind
        if kind is _Tok.HAS:
            return Has(token.value)
        if kind is _Tok.ALL:
            return All()
        if kind is _Tok.GLOBAL:
            return Global()
        if kind is _Tok.LPAREN:
            node = self.parse_or()
            closing = self.peek()
            if closing.kind is not _Tok.RPAREN:
                raise self.error(
                    f"expected ')' to close the '(' at column {token.pos + 1}", closing
                )
            self.take()
            return node
        if kind is _Tok.LABEL:
            return self.parse_comparison(token.value)
        raise self.error(f"expected {_OPERAND_LIST}", token)

    def parse_comparison(self, key: str) -> Selector:
        operator = self.take()
        value_node = _VALUE_NODES.get(operator.kind)
        if value_node is not None:
            value = self.take()
            if value.kind is not _Tok.STRING:
                raise self.error(f"expected a quoted string after {operator.kind.value}", value)
            return value_node(key, value.value)
        if operator.kind in (_Tok.IN, _Tok.NOT_IN):
            brace = self.take()
            if brace.kind is not _Tok.LBRACE:
                raise self.error(f"expected '{{' to start a set after {operator.kind.value}", brace)
            values: set[str] = set()
            while self.peek().kind is _Tok.STRING:
                values.add(self.take().value)
                if self.peek().kind is not _Tok.COMMA:
                    closing = self.peek()
                    if closing.kind is not _Tok.RBRACE:
                        raise self.error("expected ',' or '}' in a set", closing)
                    break
                self.take()
            closing = self.peek()
            if closing.kind is not _Tok.RBRACE:
                raise self.error("expected a quoted string or '}' in a set", closing)
            self.take()
            if operator.kind is _Tok.IN:
                return In(key, frozenset(values))
            return NotIn(key, frozenset(values))
        raise self.error(f"expected an operator ({_OPERATOR_LIST}) after label {key!r}", operator)


@functools.lru_cache(maxsize=_PARSE_CACHE_SIZE)
def parse_calico_selector(text: str) -> Selector:
    """Parse a Calico selector expression.

    The empty or blank selector is :class:`All`. Raises :class:`SelectorSyntaxError` with
    the 1-based column of the offending character (``len(text) + 1`` for an unexpected
    end) and what was expected there. Results are cached (bounded).
    """
    tokens = _CalicoTokenizer(text).tokens()
    return _CalicoParser(text, tokens).parse()


# --------------------------------------------------------------------------- Kubernetes


class LabelOperator(StrEnum):
    """The operators of a ``matchExpressions`` entry."""

    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"


_K8S_NAME_MAX = 63
_K8S_PREFIX_MAX = 253
_K8S_NAME_RE = re.compile(r"(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS1123_SUBDOMAIN_RE = re.compile(
    r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*"
)
_NAME_RULE = (
    "must be 63 characters or less, start and end with an alphanumeric character "
    "and hold only alphanumerics, '-', '_' or '.'"
)


@functools.lru_cache(maxsize=65536)  # labels repeat across objects; the answer is pure
def _label_key_problem(key: str) -> str | None:
    """Why ``key`` is not a valid Kubernetes label key (a qualified name), or None."""
    parts = key.split("/")
    if len(parts) > 2:
        return f"label key {key!r} may hold at most one '/'"
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            return f"label key {key!r} has an empty prefix before '/'"
        if len(prefix) > _K8S_PREFIX_MAX or not _DNS1123_SUBDOMAIN_RE.fullmatch(prefix):
            return (
                f"label key prefix {prefix!r} must be a lowercase DNS subdomain "
                f"of at most {_K8S_PREFIX_MAX} characters"
            )
    if not name:
        return f"label key {key!r} has an empty name"
    if len(name) > _K8S_NAME_MAX or not _K8S_NAME_RE.fullmatch(name):
        return f"label key name {name!r} {_NAME_RULE}"
    return None


@functools.lru_cache(maxsize=65536)
def _label_value_problem(value: str) -> str | None:
    """Why ``value`` is not a valid Kubernetes label value, or None ("" is valid)."""
    if value and (len(value) > _K8S_NAME_MAX or not _K8S_NAME_RE.fullmatch(value)):
        return f"label value {value!r} {_NAME_RULE}"
    return None


def label_problem(key: str, value: str) -> str | None:
    """Why ``key: value`` is not a valid Kubernetes label (what the API server
    says of metadata.labels), or None."""
    return _label_key_problem(key) or _label_value_problem(value)


@dataclass(frozen=True, slots=True)
class LabelRequirement:
    """One ``matchExpressions`` entry, validated as Kubernetes validates it."""

    key: str
    operator: LabelOperator
    values: tuple[str, ...] = ()
    _value_set: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.operator, LabelOperator):
            try:
                object.__setattr__(self, "operator", LabelOperator(self.operator))
            except ValueError as exc:
                raise _invalid(
                    f"{self.operator!r} is not a valid label selector operator", self.key
                ) from exc
        problem = _label_key_problem(self.key)
        if problem is None:
            if self.operator in (LabelOperator.IN, LabelOperator.NOT_IN):
                if not self.values:
                    problem = f"operator {self.operator} needs at least one value"
            elif self.values:
                problem = f"operator {self.operator} takes no values"
        if problem is None:
            for value in self.values:
                problem = _label_value_problem(value)
                if problem is not None:
                    break
        if problem is not None:
            raise _invalid(problem, self._text())
        object.__setattr__(self, "_value_set", frozenset(self.values))

    def matches(self, labels: Mapping[str, str]) -> bool:
        operator = self.operator
        if operator is LabelOperator.IN:
            return labels.get(self.key) in self._value_set
        if operator is LabelOperator.NOT_IN:
            return labels.get(self.key) not in self._value_set
        if operator is LabelOperator.EXISTS:
            return self.key in labels
        return self.key not in labels

    def to_calico(self) -> Selector:
        """The Calico equivalent (as Calico converts a Kubernetes NetworkPolicy)."""
        operator = self.operator
        if operator is LabelOperator.IN:
            return In(self.key, self._value_set)
        if operator is LabelOperator.NOT_IN:
            return NotIn(self.key, self._value_set)
        if operator is LabelOperator.EXISTS:
            return Has(self.key)
        return Not(Has(self.key))

    def _text(self) -> str:
        operator = self.operator
        if operator is LabelOperator.EXISTS:
            return self.key
        if operator is LabelOperator.DOES_NOT_EXIST:
            return f"!{self.key}"
        word = "in" if operator is LabelOperator.IN else "notin"
        return f"{self.key} {word} ({','.join(sorted(self.values))})"

    def __str__(self) -> str:
        return self._text()


def _requirement_texts(
    match_labels: Sequence[tuple[str, str]], expressions: Sequence[LabelRequirement]
) -> list[str]:
    """The requirements as kubectl prints them, in its order: a stable sort by key."""
    items = [(key, f"{key}={value}") for key, value in match_labels]
    items.extend((req.key, str(req)) for req in expressions)
    items.sort(key=lambda item: item[0])
    return [text for _, text in items]


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A Kubernetes ``metav1.LabelSelector``: every term must hold; ``{}`` selects all.

    ``match_labels`` keeps the manifest's pairs (unique keys); the absence of a selector
    (a nil pointer, which selects nothing in Kubernetes) is the caller's business.
    """

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[LabelRequirement, ...] = ()

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for key, value in self.match_labels:
            problem = _label_key_problem(key) or _label_value_problem(value)
            if problem is None and key in seen:
                problem = f"matchLabels has the key {key!r} twice"
            if problem is not None:
                raise _invalid(problem, f"{key}={value}")
            seen.add(key)

    @property
    def is_empty(self) -> bool:
        """True for ``{}``, which selects everything."""
        return not self.match_labels and not self.match_expressions

    def matches(self, labels: Mapping[str, str]) -> bool:
        for key, value in self.match_labels:
            if labels.get(key) != value:
                return False
        for requirement in self.match_expressions:  # noqa: SIM110
            if not requirement.matches(labels):
                return False
        return True

    def to_calico(self) -> Selector:
        """An equivalent Calico selector: matchLabels (by key) then matchExpressions, ANDed."""
        terms: list[Selector] = [Eq(key, value) for key, value in sorted(self.match_labels)]
        terms.extend(req.to_calico() for req in self.match_expressions)
        if not terms:
            return All()
        if len(terms) == 1:
            return terms[0]
        return And(tuple(terms))

    def __str__(self) -> str:
        """kubectl's form (``labels.Selector.String()``); ``""`` for the empty selector."""
        return ",".join(_requirement_texts(self.match_labels, self.match_expressions))

    @classmethod
    def from_obj(cls, obj: object) -> LabelSelector:
        """Read the manifest form ``{matchLabels: {...}, matchExpressions: [...]}``.

        Raises :class:`SelectorSyntaxError` (column 0) for anything the API server would
        reject: wrong types, unknown fields, an unknown operator, missing or superfluous
        values, invalid keys or values.
        """

        def text() -> str:  # the selector as written, for an error (most have none)
            return repr(obj)

        if obj.__class__ is not dict and not isinstance(obj, Mapping):
            raise _invalid(f"a label selector must be a mapping, not {type(obj).__name__}", text())
        unknown = sorted(str(k) for k in obj if k not in ("matchLabels", "matchExpressions"))
        if unknown:
            raise _invalid(
                f"unknown field(s) {', '.join(unknown)} in a label selector "
                "(expected matchLabels, matchExpressions)",
                text(),
            )
        raw_labels = obj.get("matchLabels")
        raw_expressions = obj.get("matchExpressions")
        labels: list[tuple[str, str]] = []
        if raw_labels is not None:
            if not isinstance(raw_labels, Mapping):
                raise _invalid(
                    f"matchLabels must be a mapping, not {type(raw_labels).__name__}", text()
                )
            for key, value in raw_labels.items():
                if not isinstance(key, str) or not isinstance(value, str):
                    raise _invalid(
                        f"matchLabels entry {key!r}: {value!r} must map a string to a string "
                        "(quote numbers and booleans)",
                        text(),
                    )
                labels.append((key, value))
        expressions: list[LabelRequirement] = []
        if raw_expressions is not None:
            if isinstance(raw_expressions, (str, bytes)) or not isinstance(
                raw_expressions, Sequence
            ):
                raise _invalid(
                    f"matchExpressions must be a list, not {type(raw_expressions).__name__}",
                    text(),
                )
            for index, raw in enumerate(raw_expressions):
                expressions.append(_requirement_from_obj(raw, f"matchExpressions[{index}]", text))
        return cls(tuple(labels), tuple(expressions))


def _requirement_from_obj(raw: object, where: str, text: Callable[[], str]) -> LabelRequirement:
    if raw.__class__ is not dict and not isinstance(raw, Mapping):
        raise _invalid(f"{where} must be a mapping, not {type(raw).__name__}", text())
    unknown = sorted(str(k) for k in raw if k not in ("key", "operator", "values"))
    if unknown:
        raise _invalid(
            f"{where}: unknown field(s) {', '.join(unknown)} (expected key, operator, values)",
            text(),
        )
    key = raw.get("key")
    if not isinstance(key, str):
        raise _invalid(f"{where}.key must be a string, not {type(key).__name__}", text())
    operator = raw.get("operator")
    if not isinstance(operator, str):
        raise _invalid(f"{where}.operator must be a string, not {type(operator).__name__}", text())
    try:
        op = LabelOperator(operator)
    except ValueError as exc:
        choices = ", ".join(o.value for o in LabelOperator)
        raise _invalid(
            f"{where}.operator {operator!r} is not a valid label selector operator "
            f"(expected one of {choices})",
            text(),
        ) from exc
    raw_values = raw.get("values")
    values: tuple[str, ...] = ()
    if raw_values is not None:
        if isinstance(raw_values, (str, bytes)) or not isinstance(raw_values, Sequence):
            raise _invalid(
                f"{where}.values must be a list, not {type(raw_values).__name__}", text()
            )
        if not all(isinstance(v, str) for v in raw_values):
            raise _invalid(f"{where}.values must be strings (quote numbers and booleans)", text())
        values = tuple(raw_values)
    try:
        return LabelRequirement(key, op, values)
    except SelectorSyntaxError as exc:
        raise _invalid(f"{where}: {exc.reason}", text()) from exc


# --------------------------------------------------------------------------- kubectl string

_K8S_WHITESPACE = frozenset(" \t\r\n")
_K8S_SPECIAL = frozenset("=!(),<>")


class _K(Enum):
    IDENT = "identifier"
    EOF = "end of string"
    LPAREN = "'('"
    RPAREN = "')'"
    COMMA = "','"
    NOT = "'!'"
    EQ = "'='"
    EQEQ = "'=='"
    NE = "'!='"
    GT = "'>'"
    LT = "'<'"
    IN = "'in'"
    NOTIN = "'notin'"


_K8S_SYMBOLS = {
    "(": _K.LPAREN,
    ")": _K.RPAREN,
    ",": _K.COMMA,
    "!": _K.NOT,
    "=": _K.EQ,
    "==": _K.EQEQ,
    "!=": _K.NE,
    ">": _K.GT,
    "<": _K.LT,
}


@dataclass(frozen=True, slots=True)
class _KToken:
    kind: _K
    text: str
    pos: int

    def value_kind(self) -> _K:
        """Where a value or key is expected, 'in' and 'notin' are plain identifiers."""
        return _K.IDENT if self.kind in (_K.IN, _K.NOTIN) else self.kind

    def describe(self) -> str:
        return self.kind.value if self.kind is _K.EOF else repr(self.text)


def _k8s_tokens(text: str) -> list[_KToken]:
    out: list[_KToken] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos] in _K8S_WHITESPACE:
            pos += 1
        if pos >= len(text):
            out.append(_KToken(_K.EOF, "", pos))
            return out
        if text[pos] in _K8S_SPECIAL:
            pair = text[pos : pos + 2]
            symbol = pair if pair in ("==", "!=") else text[pos]
            out.append(_KToken(_K8S_SYMBOLS[symbol], symbol, pos))
            pos += len(symbol)
            continue
        start = pos
        while (
            pos < len(text) and text[pos] not in _K8S_SPECIAL and text[pos] not in _K8S_WHITESPACE
        ):
            pos += 1
        word = text[start:pos]
        kind = {"in": _K.IN, "notin": _K.NOTIN}.get(word, _K.IDENT)
        out.append(_KToken(kind, word, start))


class _K8sParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _k8s_tokens(text)
        self.index = 0

    def peek(self) -> _KToken:
        return self.tokens[self.index]

    def take(self) -> _KToken:
        token = self.tokens[self.index]
        if token.kind is not _K.EOF:
            self.index += 1
        return token

    def error(self, message: str, token: _KToken) -> SelectorSyntaxError:
        return SelectorSyntaxError(message, expression=self.text, column=token.pos + 1)

    def check(self, problem: str | None, token: _KToken) -> None:
        if problem is not None:
            raise self.error(problem, token)

    def parse(self) -> LabelSelector:
        labels: list[tuple[str, str]] = []
        seen: set[str] = set()
        expressions: list[LabelRequirement] = []
        if self.peek().kind is _K.EOF:
            return LabelSelector()
        while True:
            self.parse_requirement(labels, seen, expressions)
            token = self.take()
            if token.kind is _K.EOF:
                return LabelSelector(tuple(labels), tuple(expressions))
            if token.kind is not _K.COMMA:
                raise self.error(f"expected ',' or the end, found {token.describe()}", token)
            following = self.peek()
            if following.value_kind() not in (_K.IDENT, _K.NOT):
                raise self.error(
                    f"expected '!' or a label key after ',', found {following.describe()}",
                    following,
                )

    def parse_requirement(
        self,
        labels: list[tuple[str, str]],
        seen: set[str],
        expressions: list[LabelRequirement],
    ) -> None:
        first = self.take()
        negated = first.kind is _K.NOT
        key_token = self.take() if negated else first
        if key_token.value_kind() is not _K.IDENT:
            raise self.error(
                f"expected {'a label key' if negated else '! or a label key'}, "
                f"found {key_token.describe()}",
                key_token,
            )
        key = key_token.text
        self.check(_label_key_problem(key), key_token)
        if self.peek().kind in (_K.EOF, _K.COMMA) or negated:
            operator = LabelOperator.DOES_NOT_EXIST if negated else LabelOperator.EXISTS
            expressions.append(LabelRequirement(key, operator))
            return
        op = self.take()
        if op.kind in (_K.EQ, _K.EQEQ, _K.NE):
            value_token = self.peek()
            value = ""
            if value_token.kind not in (_K.EOF, _K.COMMA):
                self.take()
                if value_token.value_kind() is not _K.IDENT:
                    raise self.error(
                        f"expected a value after {op.describe()}, found {value_token.describe()}",
                        value_token,
                    )
                value = value_token.text
            self.check(_label_value_problem(value), value_token)
            if op.kind is _K.NE:
                expressions.append(LabelRequirement(key, LabelOperator.NOT_IN, (value,)))
            elif key in seen:
                expressions.append(LabelRequirement(key, LabelOperator.IN, (value,)))
            else:
                seen.add(key)
                labels.append((key, value))
            return
        if op.kind in (_K.IN, _K.NOTIN):
            values = self.parse_values()
            operator = LabelOperator.IN if op.kind is _K.IN else LabelOperator.NOT_IN
            expressions.append(LabelRequirement(key, operator, tuple(sorted(values))))
            return
        if op.kind in (_K.GT, _K.LT):
            raise self.error(
                f"operator {op.text!r} exists for node selectors only, "
                "a LabelSelector cannot express it",
                op,
            )
        raise self.error(
            f"expected one of in, notin, =, ==, != after {key!r}, found {op.describe()}", op
        )

    def parse_values(self) -> set[str]:
        opening = self.take()
        if opening.kind is not _K.LPAREN:
            raise self.error(f"expected '(', found {opening.describe()}", opening)
        values: set[str] = set()
        if self.peek().kind is _K.RPAREN:  # "()" means the empty string
            self.take()
            return {""}
        expect_value = True
        while True:
            token = self.take()
            kind = token.value_kind()
            if kind is _K.IDENT and expect_value:
                self.check(_label_value_problem(token.text), token)
                values.add(token.text)
                expect_value = False
            elif kind is _K.COMMA:
                if expect_value:  # "(,", ",," and ",)" hold empty strings
                    values.add("")
                expect_value = True
            elif kind is _K.RPAREN:
                if expect_value:
                    values.add("")
                return values
            else:
                wanted = "a value, ',' or ')'" if expect_value else "',' or ')'"
                raise self.error(f"expected {wanted}, found {token.describe()}", token)


def parse_label_selector_string(text: str) -> LabelSelector:
    """Parse kubectl's label selector syntax (``a=b,c!=d,e in (x,y),f notin (z),g,!h``).

    ``=``/``==`` become ``matchLabels`` (a repeated key becomes an ``In``), ``!=`` a
    ``NotIn`` with one value, ``in ()`` means the empty value. ``""`` is the empty selector.
    Raises :class:`SelectorSyntaxError` with a 1-based column.
    """
    return _K8sParser(text).parse()
