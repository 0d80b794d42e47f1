"""The loader's nesting pre-pass runs only where a document could nest deeply, and still catches every such one."""

from __future__ import annotations

import pytest

from watchbill.files import loader
from watchbill.files.loader import MAX_DEPTH, parse
from watchbill.problems import LocatedError

PROSE = "summary: >-\n  " + "A long line of ordinary prose, with commas, colons: and dashes - " * 6 + "\n"


def test_a_file_with_long_lines_of_prose_is_parsed_without_the_second_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(loader, "_check_depth", lambda text, display: calls.append(display))
    assert len(PROSE.splitlines()[1]) > 2 * MAX_DEPTH
    assert parse(PROSE, "x.yaml").data["summary"].startswith("A long line")
    assert calls == []


@pytest.mark.parametrize(
    "text",
    [
        "a:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 5_000)) + " " * 5_000 + "x: 1\n",
        "a:\n  " + "- " * 20_000 + "x\n",
        "a: " + "[" * 20_000 + "]" * 20_000 + "\n",
    ],
    ids=["indentation", "compact-sequences", "flow"],
)
def test_documents_nested_thousands_deep_are_refused_without_a_crash(text: str) -> None:
    with pytest.raises(LocatedError) as caught:
        parse(text, "deep.yaml")
    assert caught.value.problem.rule in ("yaml-too-deep", "yaml-syntax")


def test_block_nesting_just_past_the_limit_is_refused_where_it_goes_too_deep() -> None:
    text = "a:\n  " + "- " * (MAX_DEPTH + 2) + "x\n"
    with pytest.raises(LocatedError) as caught:
        parse(text, "deep.yaml")
    assert caught.value.problem.rule == "yaml-too-deep"
    assert caught.value.problem.line == 2
