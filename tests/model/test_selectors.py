"""Calico selectors and Kubernetes label selectors: grammar, semantics, errors, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekstwin.errors import EkstwinError, SelectorSyntaxError
from ekstwin.model.selectors import (
    All,
    And,
    Contains,
    EndsWith,
    Eq,
    Global,
    Has,
    In,
    LabelOperator,
    LabelRequirement,
    LabelSelector,
    Ne,
    Not,
    NotIn,
    Or,
    Selector,
    StartsWith,
    parse_calico_selector,
    parse_label_selector_string,
)

# --------------------------------------------------------------------------- Calico: semantics

PRESENT = {"a": "abc"}
OTHER = {"a": "xyz"}
ABSENT: dict[str, str] = {"b": "abc"}

OPERATOR_CASES = [
    # (selector, matches PRESENT a=abc, matches OTHER a=xyz, matches ABSENT)
    ('a == "abc"', True, False, False),
    ('a != "abc"', False, True, True),
    ('a in {"abc", "q"}', True, False, False),
    ('a not in {"abc", "q"}', False, True, True),
    ("a in {}", False, False, False),
    ("a not in {}", True, True, True),
    ("has(a)", True, True, False),
    ("!has(a)", False, False, True),
    ('a contains "b"', True, False, False),
    ('a contains ""', True, True, False),
    ('a starts with "ab"', True, False, False),
    ('a starts with ""', True, True, False),
    ('a ends with "bc"', True, False, False),
    ('a ends with ""', True, True, False),
    ("all()", True, True, True),
    ("", True, True, True),
    (" \t ", True, True, True),
    ("global()", False, False, False),
    ('!a == "abc"', False, True, True),
    ('!a != "abc"', True, False, False),
    ("!!has(a)", True, True, False),
    ("!!!has(a)", False, False, True),
]


@pytest.mark.parametrize(("text", "present", "other", "absent"), OPERATOR_CASES)
def test_operator_matches_present_other_and_absent_labels(
    text: str, present: bool, other: bool, absent: bool
) -> None:
    selector = parse_calico_selector(text)
    assert (
        selector.matches(PRESENT),
        selector.matches(OTHER),
        selector.matches(ABSENT),
    ) == (present, other, absent)


def test_ne_and_not_in_match_when_the_label_is_absent() -> None:
    assert parse_calico_selector('a != "x"').matches({}) is True
    assert parse_calico_selector('a not in {"x"}').matches({}) is True
    assert parse_calico_selector('a == "x"').matches({}) is False
    assert parse_calico_selector('a in {"x"}').matches({}) is False


def test_and_binds_tighter_than_or() -> None:
    selector = parse_calico_selector('a == "1" || b == "2" && c == "3"')
    assert selector == Or((Eq("a", "1"), And((Eq("b", "2"), Eq("c", "3")))))
    assert selector.matches({"a": "1"}) is True
    assert selector.matches({"b": "2"}) is False
    assert selector.matches({"b": "2", "c": "3"}) is True


def test_not_binds_tighter_than_and() -> None:
    assert parse_calico_selector('!a == "1" && has(b)') == And((Not(Eq("a", "1")), Has("b")))
    assert parse_calico_selector("!(has(a) && has(b))") == Not(And((Has("a"), Has("b"))))


def test_parentheses_override_precedence() -> None:
    selector = parse_calico_selector('(a == "1" || b == "2") && c == "3"')
    assert selector == And((Or((Eq("a", "1"), Eq("b", "2"))), Eq("c", "3")))
    assert selector.matches({"a": "1"}) is False
    assert selector.matches({"a": "1", "c": "3"}) is True


def test_nested_parentheses() -> None:
    selector = parse_calico_selector('((( a == "1" ) && ((has(b)) || !(c in {"x"}))))')
    assert selector == And((Eq("a", "1"), Or((Has("b"), Not(In("c", frozenset({"x"})))))))
    assert [selector.matches(m) for m in ({"a": "1"}, {"a": "1", "c": "x"})] == [True, False]


def test_both_quote_styles_and_quotes_inside_values() -> None:
    assert parse_calico_selector("a == 'v'") == Eq("a", "v")
    assert parse_calico_selector('a == "v"') == Eq("a", "v")
    assert parse_calico_selector("a == '\"'") == Eq("a", '"')
    assert parse_calico_selector('a in {"\'", \'"\', "c"}') == In("a", frozenset({"'", '"', "c"}))


def test_keys_with_dots_slashes_dashes_and_underscores() -> None:
    text = (
        "projectcalico.org/namespace == 'prod' && app.kubernetes.io/name in {'web'}"
        " && my_key-2 != 'x'"
    )
    assert parse_calico_selector(text) == And(
        (
            Eq("projectcalico.org/namespace", "prod"),
            In("app.kubernetes.io/name", frozenset({"web"})),
            Ne("my_key-2", "x"),
        )
    )


def test_whitespace_is_optional_and_tabs_count() -> None:
    assert parse_calico_selector("a==\t'1'&&has(\tb\t)||!c in{'x','y',}") == Or(
        (
            And((Eq("a", "1"), Has("b"))),
            Not(In("c", frozenset({"x", "y"}))),
        )
    )


def test_operator_words_without_spaces_are_accepted_like_calico() -> None:
    assert parse_calico_selector("a startswith 'x'") == StartsWith("a", "x")
    assert parse_calico_selector("a endswith 'x'") == EndsWith("a", "x")
    assert parse_calico_selector("a notin {'x'}") == NotIn("a", frozenset({"x"}))
    assert parse_calico_selector("a starts   with 'x'") == StartsWith("a", "x")


def test_keywords_are_labels_in_label_position() -> None:
    assert parse_calico_selector("contains contains 'in'") == Contains("contains", "in")
    assert parse_calico_selector("in in {'x'}") == In("in", frozenset({"x"}))
    assert parse_calico_selector("has(all)") == Has("all")


def test_global_is_its_own_node_and_matches_no_labels() -> None:
    selector = parse_calico_selector(" global( ) ")
    assert selector == Global()
    assert isinstance(selector, Global)
    assert selector.matches({}) is False
    assert selector.matches({"projectcalico.org/name": "default"}) is False


def test_keys_lists_the_labels_read() -> None:
    selector = parse_calico_selector("a == 'x' || !(has(b) && c not in {'y'}) || all()")
    assert selector.keys() == frozenset({"a", "b", "c"})
    assert All().keys() == frozenset()
    assert Global().keys() == frozenset()


# --------------------------------------------------------------------------- Calico: canonical text

CANONICAL_CASES = [
    ("", "all()"),
    (" (all() )", "all()"),
    ("! (has( b)||! has(a ))", "!(has(b) || !has(a))"),
    ('! (a == "b"&&! c != "d")', '!(a == "b" && !c != "d")'),
    ('a == "\'"', 'a == "\'"'),
    ("a == '\"'", "a == '\"'"),
    ("a startswith '\"'", "a starts with '\"'"),
    ('a endswith "\'"', 'a ends with "\'"'),
    ("a!='\"'", "a != '\"'"),
    ('a in {"z", "z", "x", "y", "x", "a"}', 'a in {"a", "x", "y", "z"}'),
    ("a not in {}", "a not in {}"),
    ("!!has(a)", "has(a)"),
    ("a == '1' && b == '2' && c == '3'", '(a == "1" && b == "2" && c == "3")'),
    ("(a == '1' && b == '2') && c == '3'", '((a == "1" && b == "2") && c == "3")'),
    ("global() || all()", "(global() || all())"),
]


@pytest.mark.parametrize(("text", "canonical"), CANONICAL_CASES)
def test_str_is_calicos_canonical_form(text: str, canonical: str) -> None:
    selector = parse_calico_selector(text)
    assert str(selector) == canonical
    assert parse_calico_selector(canonical) == selector


ROUND_TRIP_CASES = [
    'a == "1" || b == "2" && c == "3"',
    "((a == '1' || b == '2') && (c != '3' || !has(d))) || e not in {'x', 'y'}",
    "!(a contains 'x' && b starts with 'y') && c ends with 'z'",
    "app.kubernetes.io/name in {'a', \"b'c\"}",
    "has(x) && (all() || global())",
]


@pytest.mark.parametrize("text", ROUND_TRIP_CASES)
def test_round_trip_parses_back_to_an_equal_ast(text: str) -> None:
    selector = parse_calico_selector(text)
    assert parse_calico_selector(str(selector)) == selector


# --------------------------------------------------------------------------- Calico: errors

ERROR_CASES = [
    ("a == ", 6, "expected a quoted string after '==', found end of selector"),
    ("has(a", 6, "expected ')' to close has("),
    ('a in {"x"', 10, "expected ',' or '}' in a set, found end of selector"),
    ('a === "b"', 5, "expected '=='"),
    ('&& a == "b"', 1, "expected a label, has(), all(), global(), '!' or '(', found '&&'"),
    ('a == "b', 6, 'unterminated string: no closing "'),
    ("a == 'b", 6, "unterminated string: no closing '"),
    ("\"FOO'", 1, 'unterminated string: no closing "'),
    (
        "a",
        2,
        "expected an operator (==, !=, in, not in, contains, starts with or ends with)"
        " after label 'a', found end of selector",
    ),
    (
        "a b",
        3,
        "expected an operator (==, !=, in, not in, contains, starts with or ends with)"
        " after label 'a'",
    ),
    ("b == b", 6, "expected a quoted string after '==', found label 'b'"),
    ("'b1' == b", 1, "expected a label, has(), all(), global(), '!' or '(', found string \"b1\""),
    ("!", 2, "expected a label, has(), all(), global(), '!' or '(', found end of selector"),
    ('foo == "bar" &', 14, "expected '&&'"),
    ('foo == "bar" |', 14, "expected '||'"),
    ('foo in ""', 8, "expected '{' to start a set after 'in', found string \"\""),
    ('foo in {"", ||', 13, "expected a quoted string or '}' in a set, found '||'"),
    ("a in {,}", 7, "expected a quoted string or '}' in a set, found ','"),
    ("(", 2, "expected a label, has(), all(), global(), '!' or '(', found end of selector"),
    ('(a == "foo"', 12, "expected ')' to close the '(' at column 1, found end of selector"),
    (")", 1, "expected a label, has(), all(), global(), '!' or '(', found ')'"),
    ("()", 2, "expected a label, has(), all(), global(), '!' or '(', found ')'"),
    ("%", 1, "unexpected character '%'"),
    ('a == "b" && %', 13, "unexpected character '%'"),
    (
        "has(foo) &&",
        12,
        "expected a label, has(), all(), global(), '!' or '(', found end of selector",
    ),
    ('a == "b" c', 10, "expected '&&', '||' or the end of the selector, found label 'c'"),
    ("has()", 5, "expected a label key inside has("),
    ("all(x)", 5, "expected ')' to close all("),
    ("global(", 8, "expected ')' to close global("),
    (
        "has (a)",
        5,
        "expected an operator (==, !=, in, not in, contains, starts with or ends with)"
        " after label 'has', found '('",
    ),
    (
        "a starts 'x'",
        3,
        "expected an operator (==, !=, in, not in, contains, starts with or ends"
        " with) after label 'a'",
    ),
    (
        "a instance {'x'}",
        3,
        "expected an operator (==, !=, in, not in, contains, starts with or"
        " ends with) after label 'a'",
    ),
    (
        'a == "b"\n',
        9,
        "unexpected line break (only spaces and tabs may separate the parts of a Calico selector)",
    ),
    ("a" * 513 + " == 'x'", 1, "label key longer than 512 characters"),
]


@pytest.mark.parametrize(("text", "column", "reason"), ERROR_CASES)
def test_syntax_error_names_the_column_and_what_was_expected(
    text: str, column: int, reason: str
) -> None:
    with pytest.raises(SelectorSyntaxError) as caught:
        parse_calico_selector(text)
    assert (caught.value.reason, caught.value.column, caught.value.expression) == (
        reason,
        column,
        text,
    )


def test_syntax_error_is_an_ekstwin_error() -> None:
    with pytest.raises(EkstwinError, match=r"at column 6 in 'a == '"):
        parse_calico_selector("a == ")


def test_tokenizer_errors_come_before_parser_errors_like_calico() -> None:
    with pytest.raises(SelectorSyntaxError) as caught:
        parse_calico_selector('&& a == "b')
    assert (caught.value.reason, caught.value.column) == ('unterminated string: no closing "', 9)


def test_nodes_reject_what_cannot_be_written() -> None:
    with pytest.raises(SelectorSyntaxError, match="both quote characters"):
        Eq("a", "'\"")
    with pytest.raises(SelectorSyntaxError, match="may only hold"):
        Has("a b")
    with pytest.raises(SelectorSyntaxError, match="at least two operands"):
        And((Has("a"),))
    with pytest.raises(SelectorSyntaxError, match="at least two operands"):
        Or(())


def test_parse_is_cached() -> None:
    text = "cache-probe == 'x'"
    assert parse_calico_selector(text) is parse_calico_selector(text)


# --------------------------------------------------------------------------- Calico: properties

KEYS = ["a", "b", "app.kubernetes.io/name", "x-y_z"]
VALUES = ["", "v", "vv", "w", "'", '"', "a'b", 'c"d']

label_maps = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=len(KEYS))
keys_st = st.sampled_from(KEYS)
values_st = st.sampled_from(VALUES)
value_sets = st.frozensets(values_st, max_size=3)

leaves: st.SearchStrategy[Selector] = st.one_of(
    st.just(All()),
    st.just(Global()),
    st.builds(Has, keys_st),
    st.builds(Eq, keys_st, values_st),
    st.builds(Ne, keys_st, values_st),
    st.builds(In, keys_st, value_sets),
    st.builds(NotIn, keys_st, value_sets),
    st.builds(Contains, keys_st, values_st),
    st.builds(StartsWith, keys_st, values_st),
    st.builds(EndsWith, keys_st, values_st),
)


def _not(operand: Selector) -> Selector:
    # The parser collapses "!!" as Calico does, so a Not never directly wraps a Not.
    return operand.operand if isinstance(operand, Not) else Not(operand)


def _extend(children: st.SearchStrategy[Selector]) -> st.SearchStrategy[Selector]:
    many = st.lists(children, min_size=2, max_size=4).map(tuple)
    return st.one_of(children.map(_not), many.map(And), many.map(Or))


selectors = st.recursive(leaves, _extend, max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(selectors, st.lists(label_maps, min_size=1, max_size=8))
def test_random_ast_survives_str_and_parse(selector: Selector, maps: list[dict[str, str]]) -> None:
    reparsed = parse_calico_selector(str(selector))
    assert reparsed == selector
    assert [reparsed.matches(m) for m in maps] == [selector.matches(m) for m in maps]


@settings(max_examples=200, deadline=None)
@given(selectors, label_maps)
def test_not_is_the_complement(selector: Selector, labels: dict[str, str]) -> None:
    assert Not(selector).matches(labels) is not selector.matches(labels)


# --------------------------------------------------------------------------- Kubernetes


def test_empty_label_selector_matches_everything() -> None:
    selector = LabelSelector.from_obj({})
    assert selector == LabelSelector()
    assert selector.is_empty
    assert selector.matches({}) and selector.matches({"a": "b"})
    assert str(selector) == ""
    assert selector.to_calico() == All()


def test_null_fields_read_as_empty() -> None:
    assert (
        LabelSelector.from_obj({"matchLabels": None, "matchExpressions": None}) == LabelSelector()
    )


K8S_CASES = [
    # (requirement, labels, expected)
    (LabelRequirement("a", LabelOperator.IN, ("x", "y")), {"a": "x"}, True),
    (LabelRequirement("a", LabelOperator.IN, ("x", "y")), {"a": "z"}, False),
    (LabelRequirement("a", LabelOperator.IN, ("x", "y")), {}, False),
    (LabelRequirement("a", LabelOperator.NOT_IN, ("x",)), {"a": "x"}, False),
    (LabelRequirement("a", LabelOperator.NOT_IN, ("x",)), {"a": "z"}, True),
    (LabelRequirement("a", LabelOperator.NOT_IN, ("x",)), {}, True),
    (LabelRequirement("a", LabelOperator.EXISTS), {"a": ""}, True),
    (LabelRequirement("a", LabelOperator.EXISTS), {}, False),
    (LabelRequirement("a", LabelOperator.DOES_NOT_EXIST), {"a": ""}, False),
    (LabelRequirement("a", LabelOperator.DOES_NOT_EXIST), {}, True),
]


@pytest.mark.parametrize(("requirement", "labels", "expected"), K8S_CASES)
def test_requirement_semantics(
    requirement: LabelRequirement, labels: dict[str, str], expected: bool
) -> None:
    assert requirement.matches(labels) is expected
    assert LabelSelector((), (requirement,)).matches(labels) is expected
    assert requirement.to_calico().matches(labels) is expected


def test_terms_are_anded() -> None:
    selector = LabelSelector.from_obj(
        {
            "matchLabels": {"app": "web", "tier": "front"},
            "matchExpressions": [
                {"key": "env", "operator": "NotIn", "values": ["dev"]},
                {"key": "legacy", "operator": "DoesNotExist"},
            ],
        }
    )
    assert selector == LabelSelector(
        (("app", "web"), ("tier", "front")),
        (
            LabelRequirement("env", LabelOperator.NOT_IN, ("dev",)),
            LabelRequirement("legacy", LabelOperator.DOES_NOT_EXIST),
        ),
    )
    assert selector.matches({"app": "web", "tier": "front"}) is True
    assert selector.matches({"app": "web", "tier": "front", "env": "prod"}) is True
    assert selector.matches({"app": "web", "tier": "front", "env": "dev"}) is False
    assert selector.matches({"app": "web", "tier": "front", "legacy": "1"}) is False
    assert selector.matches({"app": "web"}) is False
    assert not selector.is_empty


def test_to_calico_follows_calicos_conversion() -> None:
    selector = LabelSelector.from_obj(
        {
            "matchLabels": {"tier": "front", "app": "web"},
            "matchExpressions": [
                {"key": "env", "operator": "In", "values": ["prod", "stage"]},
                {"key": "env2", "operator": "NotIn", "values": ["dev"]},
                {"key": "team", "operator": "Exists"},
                {"key": "legacy", "operator": "DoesNotExist"},
            ],
        }
    )
    assert str(selector.to_calico()) == (
        '(app == "web" && tier == "front" && env in {"prod", "stage"}'
        ' && env2 not in {"dev"} && has(team) && !has(legacy))'
    )


def test_str_is_kubectls_form_sorted_by_key() -> None:
    selector = LabelSelector(
        (("z", "1"), ("a", "b")),
        (
            LabelRequirement("m", LabelOperator.IN, ("y", "x")),
            LabelRequirement("c", LabelOperator.DOES_NOT_EXIST),
            LabelRequirement("b", LabelOperator.EXISTS),
            LabelRequirement("n", LabelOperator.NOT_IN, ("q",)),
        ),
    )
    assert str(selector) == "a=b,b,!c,m in (x,y),n notin (q),z=1"


FROM_OBJ_ERRORS: list[tuple[object, str]] = [
    (None, "a label selector must be a mapping, not NoneType"),
    ([], "a label selector must be a mapping, not list"),
    (
        {"podSelector": {}},
        "unknown field(s) podSelector in a label selector (expected matchLabels, matchExpressions)",
    ),
    ({"matchLabels": ["a"]}, "matchLabels must be a mapping, not list"),
    (
        {"matchLabels": {"a": 1}},
        "matchLabels entry 'a': 1 must map a string to a string (quote numbers and booleans)",
    ),
    (
        {"matchLabels": {"a": True}},
        "matchLabels entry 'a': True must map a string to a string (quote numbers and booleans)",
    ),
    (
        {"matchLabels": {"a b": "c"}},
        "label key name 'a b' must be 63 characters or less, start"
        " and end with an alphanumeric character and hold only alphanumerics, '-', '_' or '.'",
    ),
    (
        {"matchLabels": {"a": "-x"}},
        "label value '-x' must be 63 characters or less, start and"
        " end with an alphanumeric character and hold only alphanumerics, '-', '_' or '.'",
    ),
    (
        {"matchLabels": {"Example.com/a": "x"}},
        "label key prefix 'Example.com' must be a"
        " lowercase DNS subdomain of at most 253 characters",
    ),
    ({"matchLabels": {"a/b/c": "x"}}, "label key 'a/b/c' may hold at most one '/'"),
    ({"matchExpressions": {"key": "a"}}, "matchExpressions must be a list, not dict"),
    ({"matchExpressions": ["a"]}, "matchExpressions[0] must be a mapping, not str"),
    (
        {"matchExpressions": [{"key": "a", "operator": "in", "values": ["x"]}]},
        "matchExpressions[0].operator 'in' is not a valid label selector operator"
        " (expected one of In, NotIn, Exists, DoesNotExist)",
    ),
    (
        {"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]},
        "matchExpressions[0].operator 'Gt' is not a valid label selector operator"
        " (expected one of In, NotIn, Exists, DoesNotExist)",
    ),
    (
        {"matchExpressions": [{"key": "a"}]},
        "matchExpressions[0].operator must be a string, not NoneType",
    ),
    (
        {"matchExpressions": [{"operator": "Exists"}]},
        "matchExpressions[0].key must be a string, not NoneType",
    ),
    (
        {"matchExpressions": [{"key": "a", "operator": "In"}]},
        "matchExpressions[0]: operator In needs at least one value",
    ),
    (
        {"matchExpressions": [{"key": "a", "operator": "NotIn", "values": []}]},
        "matchExpressions[0]: operator NotIn needs at least one value",
    ),
    (
        {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
        "matchExpressions[0]: operator Exists takes no values",
    ),
    (
        {"matchExpressions": [{"key": "a", "operator": "DoesNotExist", "values": ["x"]}]},
        "matchExpressions[0]: operator DoesNotExist takes no values",
    ),
    (
        {"matchExpressions": [{"key": "a", "operator": "In", "values": "x"}]},
        "matchExpressions[0].values must be a list, not str",
    ),
    (
        {"matchExpressions": [{"key": "a", "operator": "In", "values": [1]}]},
        "matchExpressions[0].values must be strings (quote numbers and booleans)",
    ),
    (
        {"matchExpressions": [{"key": "a", "operator": "Exists", "value": "x"}]},
        "matchExpressions[0]: unknown field(s) value (expected key, operator, values)",
    ),
]


@pytest.mark.parametrize(("obj", "reason"), FROM_OBJ_ERRORS)
def test_from_obj_rejects_malformed_input(obj: object, reason: str) -> None:
    with pytest.raises(SelectorSyntaxError) as caught:
        LabelSelector.from_obj(obj)
    assert (caught.value.reason, caught.value.column) == (reason, 0)


def test_requirement_accepts_operator_strings_and_rejects_unknown_ones() -> None:
    assert LabelRequirement("a", "Exists") == LabelRequirement("a", LabelOperator.EXISTS)  # type: ignore[arg-type]
    with pytest.raises(SelectorSyntaxError, match="'Gt' is not a valid label selector operator"):
        LabelRequirement("a", "Gt", ("1",))  # type: ignore[arg-type]


def test_duplicate_match_labels_keys_are_rejected() -> None:
    with pytest.raises(SelectorSyntaxError, match="matchLabels has the key 'a' twice"):
        LabelSelector((("a", "1"), ("a", "2")))


# --------------------------------------------------------------------------- kubectl strings

STRING_CASES = [
    ("", LabelSelector()),
    ("   ", LabelSelector()),
    (
        "a=b,c!=d,e in (x,y),f notin (z),g,!h",
        LabelSelector(
            (("a", "b"),),
            (
                LabelRequirement("c", LabelOperator.NOT_IN, ("d",)),
                LabelRequirement("e", LabelOperator.IN, ("x", "y")),
                LabelRequirement("f", LabelOperator.NOT_IN, ("z",)),
                LabelRequirement("g", LabelOperator.EXISTS),
                LabelRequirement("h", LabelOperator.DOES_NOT_EXIST),
            ),
        ),
    ),
    ("a==b", LabelSelector((("a", "b"),))),
    ("a=", LabelSelector((("a", ""),))),
    (
        "a==b, a=c",
        LabelSelector((("a", "b"),), (LabelRequirement("a", LabelOperator.IN, ("c",)),)),
    ),
    (
        "x in (foo,,baz),y,z notin ()",
        LabelSelector(
            (),
            (
                LabelRequirement("x", LabelOperator.IN, ("", "baz", "foo")),
                LabelRequirement("y", LabelOperator.EXISTS),
                LabelRequirement("z", LabelOperator.NOT_IN, ("",)),
            ),
        ),
    ),
    ("x in (b,a,b)", LabelSelector((), (LabelRequirement("x", LabelOperator.IN, ("a", "b")),))),
    ("x in (a,)", LabelSelector((), (LabelRequirement("x", LabelOperator.IN, ("", "a")),))),
    (
        "in in (in,notin)",
        LabelSelector((), (LabelRequirement("in", LabelOperator.IN, ("in", "notin")),)),
    ),
    (
        "app.kubernetes.io/name = web ,\n tier notin(db)",
        LabelSelector(
            (("app.kubernetes.io/name", "web"),),
            (LabelRequirement("tier", LabelOperator.NOT_IN, ("db",)),),
        ),
    ),
]


@pytest.mark.parametrize(("text", "expected"), STRING_CASES)
def test_parse_label_selector_string(text: str, expected: LabelSelector) -> None:
    assert parse_label_selector_string(text) == expected


STRING_ERRORS = [
    ("a=b,", 5, "expected '!' or a label key after ',', found end of string"),
    (",a", 1, "expected ! or a label key, found ','"),
    ("!a=b", 3, "expected ',' or the end, found '='"),
    ("a b", 3, "expected one of in, notin, =, ==, != after 'a', found 'b'"),
    ("a>1", 2, "operator '>' exists for node selectors only, a LabelSelector cannot express it"),
    ("a in x", 6, "expected '(', found 'x'"),
    ("a in (x y)", 9, "expected ',' or ')', found 'y'"),
    ("a in (x", 8, "expected ',' or ')', found end of string"),
    ("a=(", 3, "expected a value after '=', found '('"),
    ("a b=c", 3, "expected one of in, notin, =, ==, != after 'a', found 'b'"),
    (
        "-a=b",
        1,
        "label key name '-a' must be 63 characters or less, start and end with an"
        " alphanumeric character and hold only alphanumerics, '-', '_' or '.'",
    ),
    ("a=b c", 5, "expected ',' or the end, found 'c'"),
    (
        "a=-",
        3,
        "label value '-' must be 63 characters or less, start and end with an"
        " alphanumeric character and hold only alphanumerics, '-', '_' or '.'",
    ),
]


@pytest.mark.parametrize(("text", "column", "reason"), STRING_ERRORS)
def test_parse_label_selector_string_errors(text: str, column: int, reason: str) -> None:
    with pytest.raises(SelectorSyntaxError) as caught:
        parse_label_selector_string(text)
    assert (caught.value.reason, caught.value.column) == (reason, column)


# --------------------------------------------------------------------------- Kubernetes properties

K8S_KEYS = ["a", "b", "app.kubernetes.io/name", "x-y_z"]
K8S_VALUES = ["", "v", "w", "x.y", "in"]
k8s_label_maps = st.dictionaries(
    st.sampled_from(K8S_KEYS), st.sampled_from(K8S_VALUES), max_size=len(K8S_KEYS)
)
k8s_values = st.lists(st.sampled_from(K8S_VALUES), min_size=1, max_size=3, unique=True).map(tuple)
requirements = st.one_of(
    st.builds(LabelRequirement, st.sampled_from(K8S_KEYS), st.just(LabelOperator.IN), k8s_values),
    st.builds(
        LabelRequirement, st.sampled_from(K8S_KEYS), st.just(LabelOperator.NOT_IN), k8s_values
    ),
    st.builds(LabelRequirement, st.sampled_from(K8S_KEYS), st.just(LabelOperator.EXISTS)),
    st.builds(LabelRequirement, st.sampled_from(K8S_KEYS), st.just(LabelOperator.DOES_NOT_EXIST)),
)
label_selectors = st.builds(
    LabelSelector,
    st.dictionaries(st.sampled_from(K8S_KEYS), st.sampled_from(K8S_VALUES), max_size=2).map(
        lambda d: tuple(d.items())
    ),
    st.lists(requirements, max_size=3).map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(label_selectors, st.lists(k8s_label_maps, min_size=1, max_size=8))
def test_to_calico_is_equivalent(selector: LabelSelector, maps: list[dict[str, str]]) -> None:
    calico = selector.to_calico()
    assert [calico.matches(m) for m in maps] == [selector.matches(m) for m in maps]
    reparsed = parse_calico_selector(str(calico))
    assert [reparsed.matches(m) for m in maps] == [selector.matches(m) for m in maps]


@settings(max_examples=300, deadline=None)
@given(label_selectors, st.lists(k8s_label_maps, min_size=1, max_size=8))
def test_kubectl_string_round_trip(selector: LabelSelector, maps: list[dict[str, str]]) -> None:
    reparsed = parse_label_selector_string(str(selector))
    assert str(reparsed) == str(selector)
    assert [reparsed.matches(m) for m in maps] == [selector.matches(m) for m in maps]
