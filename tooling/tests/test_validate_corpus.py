"""The bad-file corpus: one mistake a person makes per file, each found at its exact line, column and rule.

Every file in corpus/bad/ starts with comment headers:

    # place: incidents/2026/INC-2026-0099.yaml          where the file goes in the minimal organisation
    # expect: 7:14 unknown-person                       a problem in the placed file (an error unless...)
    # expect: 8:5 warning escalation-unreachable        ...the level is given
    # expect: policies/services.yaml:2:9 unknown-severity -- add 'severity:'
                                                        a problem in another file, and a message fragment

The problems found must be exactly the expected ones: a mistake that also sets off unrelated findings
would bury the one a person has to fix. Bytes that cannot live in a text file (non-UTF-8, NUL) are made here.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.orgfactory import MINIMAL_ORG, NOW, build_org, write_file

from watchbill.files.loader import MAX_FILE_BYTES
from watchbill.validate import validate
from watchbill.validate.rules import RULES

CORPUS = Path(__file__).parent / "corpus" / "bad"
WATCHBILL = Path(sys.executable).parent / "watchbill"
AT = "2026-11-23T12:00:00Z"

_EXPECT = re.compile(
    r"^# expect: (?:(?P<path>[^\s:]+):)?(?P<line>\d+):(?P<column>\d+) "
    r"(?:(?P<level>error|warning) )?(?P<rule>[a-z0-9-]+)(?: -- (?P<message>.+))?$"
)

Found = tuple[str, int, int, str, str]


@dataclass(frozen=True)
class Case:
    name: str
    place: str
    content: bytes
    expected: frozenset[Found]
    messages: tuple[str, ...] = ()


def read_case(path: Path) -> Case:
    place = ""
    expected: set[Found] = set()
    messages: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        if line.startswith("# place: "):
            place = line.removeprefix("# place: ").strip()
        elif line.startswith("# expect:"):
            match = _EXPECT.match(line)
            assert match, f"{path.name}: malformed header {line!r}"
            expected.add(
                (
                    match["path"] or place,
                    int(match["line"]),
                    int(match["column"]),
                    match["level"] or "error",
                    match["rule"],
                )
            )
            if match["message"]:
                messages.append(match["message"])
    assert place and expected, f"{path.name}: needs '# place:' and at least one '# expect:' header"
    return Case(path.stem, place, path.read_bytes(), frozenset(expected), tuple(messages))


_INCIDENT = "incidents/2026/INC-2026-0099.yaml"
_INCIDENT_HEAD = b"id: INC-2026-0099\ntitle: Slow dashboard\nseverity: SEV-2\nstatus: resolved\n"

GENERATED = [
    Case(
        "bytes-latin1",
        _INCIDENT,
        _INCIDENT_HEAD + b"summary: Caf\xe9 checkout page was slow.\n",
        frozenset({(_INCIDENT, 5, 13, "error", "file-encoding")}),
        ("byte 0xe9 is not UTF-8",),
    ),
    Case(
        "bytes-nul",
        _INCIDENT,
        _INCIDENT_HEAD + b"summary: Slow\x00 pages.\n",
        frozenset({(_INCIDENT, 5, 14, "error", "file-binary")}),
        ("NUL byte",),
    ),
    Case(
        "bytes-utf16",
        _INCIDENT,
        "id: INC-2026-0099\n".encode("utf-16"),
        frozenset({(_INCIDENT, 1, 1, "error", "file-encoding")}),
        ("save it as UTF-8",),
    ),
    Case(
        "bytes-too-large",
        _INCIDENT,
        _INCIDENT_HEAD + b"summary: " + b"x" * MAX_FILE_BYTES + b"\n",
        frozenset({(_INCIDENT, 1, 1, "error", "file-too-large")}),
    ),
]

CASES = [read_case(path) for path in sorted(CORPUS.glob("*.yaml"))] + GENERATED


def found(root: Path) -> set[Found]:
    return {(p.path, p.line, p.column, p.level, p.rule) for p in validate(root, now=NOW, use_cache=False).problems}


def test_minimal_organisation_validates_clean(tmp_path: Path) -> None:
    report = validate(build_org(tmp_path), now=NOW, use_cache=False)
    assert report.problems == []
    assert report.files_checked == len(MINIMAL_ORG)


def test_corpus_holds_at_least_45_distinct_mistakes() -> None:
    files = list(CORPUS.glob("*.yaml"))
    assert len(files) >= 45
    assert len({path.read_bytes() for path in files}) == len(files)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_bad_file_reports_exactly_its_mistake(case: Case, tmp_path: Path) -> None:
    root = build_org(tmp_path, {case.place: case.content})
    report = validate(root, now=NOW, use_cache=False)
    assert {(p.path, p.line, p.column, p.level, p.rule) for p in report.problems} == case.expected
    for fragment in case.messages:
        assert any(fragment in p.message for p in report.problems), (fragment, report.problems)


def test_symlink_leaving_the_repository_is_refused(tmp_path: Path) -> None:
    outside = write_file(tmp_path / "elsewhere", "secret.yaml", "id: INC-2026-0099\n")
    root = build_org(tmp_path / "org")
    (root / _INCIDENT).symlink_to(outside)
    assert found(root) == {(_INCIDENT, 1, 1, "error", "file-symlink")}


def test_symlink_inside_the_repository_is_read_like_the_file_it_points_to(tmp_path: Path) -> None:
    root = build_org(tmp_path)
    (root / _INCIDENT).symlink_to(root / "incidents/2026/INC-2026-0001.yaml")
    assert found(root) == {(_INCIDENT, 1, 5, "error", "duplicate-id")}


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    with_bom = b"\xef\xbb\xbf" + MINIMAL_ORG["schedules/people.yaml"].encode()
    root = build_org(tmp_path, {"schedules/people.yaml": with_bom})
    assert found(root) == set()


def test_windows_line_endings_are_accepted(tmp_path: Path) -> None:
    crlf = MINIMAL_ORG["schedules/primary.yaml"].replace("\n", "\r\n").encode()
    assert found(build_org(tmp_path, {"schedules/primary.yaml": crlf})) == set()


def test_one_broken_file_does_not_set_off_findings_in_the_files_that_refer_to_it(tmp_path: Path) -> None:
    root = build_org(tmp_path, {"schedules/people.yaml": "people: [\n"})
    assert {path for path, *_ in found(root)} == {"schedules/people.yaml"}


def test_unchanged_rerun_reports_every_file_from_the_cache(tmp_path: Path) -> None:
    root = build_org(tmp_path / "org")
    first = validate(root, now=NOW, cache_directory=tmp_path / "cache")
    second = validate(root, now=NOW, cache_directory=tmp_path / "cache")
    assert (first.files_cached, second.files_cached) == (0, len(MINIMAL_ORG))
    assert second.problems == first.problems == []


def test_cache_checks_an_edited_file_again(tmp_path: Path) -> None:
    root = build_org(tmp_path / "org")
    validate(root, now=NOW, cache_directory=tmp_path / "cache")
    write_file(root, "schedules/people.yaml", MINIMAL_ORG["schedules/people.yaml"].replace("Alice", "Alicia"))
    report = validate(root, now=NOW, cache_directory=tmp_path / "cache")
    assert report.files_cached == len(MINIMAL_ORG) - 1


def test_cached_problems_are_reported_again_on_an_unchanged_rerun(tmp_path: Path) -> None:
    root = build_org(tmp_path / "org", {"schedules/primary.yaml": "id: primary\nname: [\n"})
    first = validate(root, now=NOW, cache_directory=tmp_path / "cache")
    second = validate(root, now=NOW, cache_directory=tmp_path / "cache")
    assert second.files_cached == len(MINIMAL_ORG)
    assert second.problems == first.problems != []


# The real command, in a subprocess: what a person and CI see.


def run_cli(*args: str | Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WATCHBILL_CACHE_DIR": str(cache)}
    env.pop("WATCHBILL_NOW", None)
    return subprocess.run(
        [str(WATCHBILL), *map(str, args)], capture_output=True, text=True, env=env, timeout=120, check=False
    )


CLI_CASES = ["ref-unknown-person-member", "yaml-tab-indent", "model-bool-no", "yaml-alias-bomb", "bytes-latin1"]


@pytest.mark.parametrize("name", CLI_CASES)
def test_cli_prints_the_located_error_and_exits_1(name: str, tmp_path: Path) -> None:
    case = next(case for case in CASES if case.name == name)
    root = build_org(tmp_path / "org", {case.place: case.content})
    result = run_cli("validate", root, "--at", AT, cache=tmp_path / "cache")
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    for path, line, column, level, rule in case.expected:
        pattern = rf"^{re.escape(path)}:{line}:{column}: {level}: .+ \[{re.escape(rule)}\]$"
        assert re.search(pattern, result.stdout, re.MULTILINE), result.stdout


def test_cli_prints_positions_verbatim_even_where_they_look_like_emoji_codes(tmp_path: Path) -> None:
    settings = "# padding\n" * 98 + "organisation: Example Org\ncolour: blue\n"
    root = build_org(tmp_path / "org", {"policies/settings.yaml": settings})
    result = run_cli("validate", root, "--at", AT, cache=tmp_path / "cache")
    assert result.stdout.startswith("policies/settings.yaml:100:1: error: colour: unknown key 'colour'")


def test_cli_exits_0_on_a_clean_organisation_and_counts_unchanged_files(tmp_path: Path) -> None:
    root = build_org(tmp_path / "org")
    first = run_cli("validate", root, "--at", AT, cache=tmp_path / "cache")
    second = run_cli("validate", root, "--at", AT, cache=tmp_path / "cache")
    assert (first.returncode, second.returncode) == (0, 0)
    assert first.stdout == second.stdout == ""
    assert f"{len(MINIMAL_ORG)} files checked (0 unchanged)" in first.stderr
    assert f"{len(MINIMAL_ORG)} files checked ({len(MINIMAL_ORG)} unchanged)" in second.stderr


def test_cli_exits_0_on_warnings_and_1_with_strict(tmp_path: Path) -> None:
    case = next(case for case in CASES if case.name == "ref-channel-secret-literal")
    root = build_org(tmp_path / "org", {case.place: case.content})
    relaxed = run_cli("validate", root, "--at", AT, cache=tmp_path / "cache")
    strict = run_cli("validate", root, "--at", AT, "--strict", cache=tmp_path / "cache")
    assert (relaxed.returncode, strict.returncode) == (0, 1)
    assert "warning:" in relaxed.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("validate", "{missing}"),
        ("validate", "{root}", "--format", "xml"),
        ("validate", "{root}", "--at", "2026-11-23T12:00:00"),
        ("validate", "{root}", "--no-such-option"),
    ],
    ids=["missing-folder", "unknown-format", "naive-at", "unknown-option"],
)
def test_cli_usage_errors_exit_2_without_a_traceback(args: tuple[str, ...], tmp_path: Path) -> None:
    root = build_org(tmp_path / "org")
    filled = [arg.format(root=root, missing=tmp_path / "missing") for arg in args]
    result = run_cli(*filled, cache=tmp_path / "cache")
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.strip()


def test_cli_json_format_lists_every_problem_with_its_location(tmp_path: Path) -> None:
    case = next(case for case in CASES if case.name == "ref-escalation-policy-unreachable")
    root = build_org(tmp_path / "org", {case.place: case.content})
    result = run_cli("validate", root, "--at", AT, "--format", "json", cache=tmp_path / "cache")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert (report["at"], report["error_count"], report["warning_count"]) == (AT, 1, 1)
    problems = report["problems"]
    assert all(set(p) == {"path", "line", "column", "level", "message", "rule"} for p in problems)
    assert {(p["path"], p["line"], p["column"], p["level"], p["rule"]) for p in problems} == case.expected


def test_cli_json_format_is_one_object_with_no_problems_when_clean(tmp_path: Path) -> None:
    result = run_cli("validate", build_org(tmp_path / "org"), "--at", AT, "--format", "json", cache=tmp_path / "c")
    assert (result.returncode, json.loads(result.stdout)) == (
        0,
        {"at": AT, "files_checked": 9, "files_cached": 0, "error_count": 0, "warning_count": 0, "problems": []},
    )


def _rule_ids_in_source() -> set[str]:
    """Every rule id the checks spell out: kebab-case string constants in the modules that make findings."""
    package = Path(__file__).resolve().parents[1] / "watchbill"
    modules = [
        package / "files" / "loader.py",
        package / "files" / "kinds.py",
        *sorted((package / "validate").glob("*.py")),
    ]
    kebab = re.compile(r"^[a-z]+(-[a-z0-9]+)+$")
    found = set()
    for module in modules:
        if module.name == "rules.py":
            continue
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and kebab.match(node.value):
                found.add(node.value)
    return found - {"utf-8", "utf-8-sig"}


def test_every_rule_the_checks_use_is_in_the_one_registry_and_no_other() -> None:
    assert _rule_ids_in_source() == set(RULES)
    assert all(rule.summary.endswith(".") and rule.id == key for key, rule in RULES.items())


def test_every_rule_in_the_corpus_is_registered() -> None:
    assert {rule for case in CASES for *_, rule in case.expected} <= set(RULES)


def test_cli_github_format_writes_workflow_annotations(tmp_path: Path) -> None:
    case = next(case for case in CASES if case.name == "ref-escalation-policy-unreachable")
    root = build_org(tmp_path / "org", {case.place: case.content})
    result = run_cli("validate", root, "--at", AT, "--format", "github", cache=tmp_path / "cache")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "::error file=policies/escalation/critical.yaml,line=5,col=5,title=escalation-unreachable::"
        "policy 'critical' can reach nobody: give its targets contacts on its channels [escalation-unreachable]",
        "::warning file=policies/escalation/critical.yaml,line=8,col=5,title=escalation-unreachable::"
        "step 1 reaches nobody: no target has a contact on its channels [escalation-unreachable]",
    ]


def test_cli_github_format_escapes_percent_signs_in_messages(tmp_path: Path) -> None:
    root = build_org(tmp_path / "org", {"policies/settings.yaml": "organisation: Example\n'rate%': 1\n"})
    result = run_cli("validate", root, "--at", AT, "--format", "github", cache=tmp_path / "cache")
    (line,) = result.stdout.splitlines()
    assert line.startswith("::error file=policies/settings.yaml,line=2,col=1,title=unknown-key::")
    assert "unknown key 'rate%25'" in line


CONFIRMED_SERVICES = """\
services:
  - id: api
    name: Public API
    owner: primary
    probes:
      - id: health
        http:
          url: https://api.example.com/health
        confirm:
          regions:
            - eu
            - us
          min: 2
"""


def _probe_workflow(regions: str) -> str:
    return f"""\
name: probe
on:
  workflow_dispatch:
jobs:
  probe:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        region: {regions}
    steps:
      - run: watchbill probe --region "${{{{ matrix.region }}}}"
"""


@pytest.mark.parametrize(
    ("regions", "expected"),
    [
        ("[default]", {("policies/services.yaml", 11, 15, "warning", "probe-region-not-run")}),
        ("[eu]", {("policies/services.yaml", 12, 15, "warning", "probe-region-not-run")}),
        ("[eu, us, ap]", set()),
    ],
)
def test_a_confirming_region_the_probe_workflow_never_runs_is_a_warning(
    regions: str, expected: set[Found], tmp_path: Path
) -> None:
    root = build_org(
        tmp_path,
        {
            "policies/services.yaml": CONFIRMED_SERVICES,
            "incidents/maintenance/MNT-2026-0001.yaml": None,
            ".github/workflows/probe.yml": _probe_workflow(regions),
        },
    )
    assert found(root) == expected
