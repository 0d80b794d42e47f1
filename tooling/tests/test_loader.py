"""The YAML loader: data plus positions, and every unsafe or ambiguous input refused with its location."""

from __future__ import annotations

import pytest

from watchbill.files.loader import MAX_ALIAS_EXPANSION, MAX_DEPTH, Position, decode, parse
from watchbill.problems import LocatedError


def refused(text: str) -> tuple[int, int, str, str]:
    with pytest.raises(LocatedError) as info:
        parse(text, "f.yaml")
    problem = info.value.problem
    return problem.line, problem.column, problem.rule, problem.message


def test_positions_of_keys_and_items_are_one_based() -> None:
    doc = parse("a: 1\nlist:\n  - x\n  - {k: v}\n", "f.yaml")
    assert doc.data == {"a": 1, "list": ["x", {"k": "v"}]}
    assert doc.keys[("list",)] == Position(2, 1)
    assert doc.values[("list", 1)] == Position(4, 5)
    assert doc.keys[("list", 1, "k")] == Position(4, 6)


def test_locate_falls_back_to_the_nearest_existing_parent() -> None:
    doc = parse("outer:\n  inner: 1\n", "f.yaml")
    assert doc.locate(("outer", "missing")) == doc.values[("outer",)]


def test_duplicate_key_names_both_lines() -> None:
    line, column, rule, message = refused("a: 1\nb: 2\na: 3\n")
    assert (line, column, rule) == (3, 1, "yaml-duplicate-key")
    assert "line 1" in message


def test_leading_zero_number_is_refused_as_ambiguous() -> None:
    line, column, rule, message = refused("port: 0443\n")
    assert (line, column, rule) == (1, 7, "yaml-ambiguous-number")
    assert "443" in message


def test_explicit_octal_and_hex_are_numbers() -> None:
    assert parse("a: 0o17\nb: 0x1F\nc: -3\nd: 1.5e3\n", "f").data == {"a": 15, "b": 31, "c": -3, "d": 1500.0}


@pytest.mark.parametrize("word", ["no", "yes", "on", "off", "y", "N"])
def test_yaml11_booleans_stay_text(word: str) -> None:
    assert parse(f"a: {word}\n", "f").data == {"a": word}


def test_yaml12_booleans_and_nulls() -> None:
    assert parse("a: true\nb: False\nc: ~\nd:\n", "f").data == {"a": True, "b": False, "c": None, "d": None}


def test_timestamps_stay_text_for_the_models_to_judge() -> None:
    assert parse("at: 2026-03-01T10:00:00Z\nday: 2026-03-01\n", "f").data == {
        "at": "2026-03-01T10:00:00Z",
        "day": "2026-03-01",
    }


def test_sexagesimal_is_text_not_a_number() -> None:
    assert parse("time: 09:30\n", "f").data == {"time": "09:30"}


def test_anchors_and_merge_keys_work() -> None:
    doc = parse("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n", "f")
    assert doc.data["other"] == {"x": 1, "y": 3}


def test_alias_bomb_is_refused() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        prev = chr(ord("a") + level - 1)
        cur = chr(ord("a") + level)
        lines.append(f"{cur}: &{cur} [{', '.join('*' + prev for _ in range(10))}]")
    _, _, rule, message = refused("\n".join(lines) + "\n")
    assert rule == "yaml-alias-bomb"
    assert str(MAX_ALIAS_EXPANSION) in message


def test_custom_tags_are_refused() -> None:
    line, column, rule, _ = refused("a: !!python/object:os.system echo\n")
    assert (line, rule) == (1, "yaml-tag")
    assert column == 4


def test_second_document_is_refused() -> None:
    line, _, rule, _ = refused("a: 1\n---\nb: 2\n")
    assert (line, rule) == (2, "yaml-syntax")


def test_unclosed_bracket_points_at_where_it_opened() -> None:
    line, column, rule, message = refused("a: [1, 2\nb: 3\n")
    assert (line, column, rule) == (1, 4, "yaml-syntax")
    assert "never closed" in message


def test_tab_indentation_is_a_located_syntax_error() -> None:
    line, _, rule, _ = refused("a:\n\tb: 1\n")
    assert (line, rule) == (2, "yaml-syntax")


def test_deep_nesting_is_refused() -> None:
    depth = MAX_DEPTH + 5
    _, _, rule, _ = refused("a: " + "[" * depth + "]" * depth + "\n")
    assert rule == "yaml-too-deep"


def test_very_deep_nesting_does_not_crash() -> None:
    depth = 50_000
    _, _, rule, _ = refused("a: " + "[" * depth + "]" * depth + "\n")
    assert rule in ("yaml-too-deep", "yaml-syntax")


def test_empty_file_and_top_level_list_are_refused() -> None:
    assert refused("# only a comment\n")[2] == "yaml-empty"
    assert refused("- a\n- b\n")[2] == "yaml-not-mapping"


def test_non_string_keys_are_refused() -> None:
    line, column, rule, _ = refused("a:\n  200: ok\n")
    assert (line, column, rule) == (2, 3, "yaml-key-type")


def test_non_utf8_byte_is_located() -> None:
    with pytest.raises(LocatedError) as info:
        decode("a: 1\nb: caf\xe9\n".encode("latin-1"), "f.yaml")
    assert (info.value.problem.line, info.value.problem.column, info.value.problem.rule) == (2, 7, "file-encoding")


def test_nul_byte_marks_a_binary_file() -> None:
    with pytest.raises(LocatedError) as info:
        decode(b"a: 1\x00\n", "f.yaml")
    assert info.value.problem.rule == "file-binary"


def test_byte_order_mark_is_accepted() -> None:
    assert parse(decode("\ufeffa: 1\n".encode(), "f"), "f").data == {"a": 1}


def test_invisible_line_separator_is_refused_where_the_editor_sees_it() -> None:
    line, column, rule, _ = refused("a: 1\nb: x\u2028y\nc: 3\n")
    assert (line, column, rule) == (2, 5, "yaml-line-separator")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("!!int abc", "'abc' is not a valid !!int"),
        ("!!float abc", "'abc' is not a valid !!float"),
        ("!!bool yes", "'yes' is not a valid !!bool"),
        ("!!null x", "'x' is not a valid !!null"),
    ],
)
def test_a_tag_its_value_cannot_hold_is_refused_where_it_stands(value: str, message: str) -> None:
    with pytest.raises(LocatedError) as caught:
        parse(f"a: 1\nb: {value}\n", "f.yaml")
    assert (caught.value.problem.line, caught.value.problem.column, caught.value.problem.rule) == (2, 4, "yaml-tag")
    assert caught.value.problem.message.startswith(message)


def test_numbers_too_long_to_mean_anything_are_refused_before_python_converts_them() -> None:
    with pytest.raises(LocatedError) as caught:
        parse("a: " + "1" * 5000 + "\n", "f.yaml")
    assert (caught.value.problem.line, caught.value.problem.column) == (1, 4)
    assert caught.value.problem.rule == "yaml-number-too-large"
    assert parse("a: " + "1" * 100 + "\n", "f.yaml").data == {"a": int("1" * 100)}
