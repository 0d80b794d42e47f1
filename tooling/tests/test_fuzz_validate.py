"""Hostile and random input: `validate` always ends in located problems, never an exception or a hang."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.orgfactory import MINIMAL_ORG, NOW, build_org

from watchbill.validate import validate

RULE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
YAML_NOISE = st.text(
    alphabet=st.sampled_from([*":-[]{}&*!|>'\"#%@`,?~\t \n0123456789aZ_.\\", "\u00e9", "\u2028", "\ufeff"]),
    max_size=12,
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_located(root: Path, changed: str, content: str | bytes) -> None:
    report = validate(root, now=NOW, use_cache=False)
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    lines = text.count("\n") + 2
    for problem in report.problems:
        assert RULE.match(problem.rule), problem
        assert problem.message.strip(), problem
        assert problem.line >= 1 and problem.column >= 1, problem
        if problem.path == changed:
            assert problem.line <= lines, problem


@st.composite
def mutated(draw: st.DrawFn, original: str) -> str:
    text = original
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "dup-line", "indent"]))
        if action == "insert":
            text = text[:at] + draw(YAML_NOISE) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        elif action == "replace":
            text = text[:at] + draw(YAML_NOISE) + text[at + draw(st.integers(1, 8)) :]
        else:
            lines = text.split("\n")
            index = draw(st.integers(0, max(0, len(lines) - 1)))
            if action == "dup-line":
                lines.insert(index, lines[index])
            else:
                lines[index] = " " * draw(st.integers(1, 3)) + lines[index]
            text = "\n".join(lines)
    return text


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["no", "on", "010", "5m", "2026-01-01", "../../etc/passwd", "SEV-9"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def _yaml_dump(value: object) -> str:
    import io

    from ruamel.yaml import YAML

    stream = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = True
    yaml.dump(value, stream)
    return stream.getvalue().strip().replace("\n", " ")


@pytest.mark.parametrize("relative", sorted(MINIMAL_ORG))
@FUZZ
@given(data=st.data())
def test_mutated_text_gives_located_problems(relative: str, data: st.DataObject) -> None:
    content = data.draw(mutated(MINIMAL_ORG[relative]))
    with tempfile.TemporaryDirectory() as tmp:
        root = build_org(Path(tmp), {relative: content})
        assert_located(root, relative, content)


@pytest.mark.parametrize("relative", sorted(MINIMAL_ORG))
@FUZZ
@given(data=st.data())
def test_random_values_under_real_keys_give_located_problems(relative: str, data: st.DataObject) -> None:
    lines = MINIMAL_ORG[relative].split("\n")
    keyed = [i for i, line in enumerate(lines) if re.match(r"^\s*(- )?[a-z_]+:", line)]
    index = data.draw(st.sampled_from(keyed))
    key = lines[index].split(":", 1)[0]
    lines[index] = f"{key}: {_yaml_dump(data.draw(VALUES))}"
    content = "\n".join(lines)
    with tempfile.TemporaryDirectory() as tmp:
        root = build_org(Path(tmp), {relative: content})
        assert_located(root, relative, content)


def run_cli(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WATCHBILL_NOW": NOW.isoformat(), "WATCHBILL_CACHE_DIR": str(root / ".." / "cache")}
    return subprocess.run(
        [sys.executable, "-c", "from watchbill.cli import main; main()", "validate", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


HOSTILE: dict[str, bytes] = {
    "incidents/2026/INC-2026-0005.yaml": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "incidents/2026/INC-2026-0006.yaml": "title: caf\xe9\n".encode("latin-1"),
    "schedules/traversal.yaml": b"id: ../../etc/passwd\nname: x\ntimezone: UTC\nlayers: []\n",
    "incidents/2026/INC-2026-0007.yaml": b"id: INC-2026-0007\ntitle: " + b"[" * 100_000 + b"\n",
    "policies/escalation/bomb.yaml": (
        b"a: &a [x,x,x,x,x,x,x,x,x,x]\n"
        + b"".join(f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 10)}]\n".encode() for i in range(8))
        + b"id: bomb\n"
    ),
}


def test_hostile_files_end_in_located_errors_not_tracebacks(tmp_path: Path) -> None:
    root = build_org(tmp_path / "org", HOSTILE)
    (root / "incidents" / "2026" / "INC-2026-0008.yaml").write_bytes(b"a: 1\n" + b"#" * (50 * 1024 * 1024))
    outside = tmp_path / "secret.yaml"
    outside.write_text("people: []\n")
    (root / "schedules" / "linked.yaml").symlink_to(outside)
    result = run_cli(root)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    expected = {
        "incidents/2026/INC-2026-0005.yaml": "file-binary",
        "incidents/2026/INC-2026-0006.yaml": "file-encoding",
        "schedules/traversal.yaml": "invalid-value",
        "incidents/2026/INC-2026-0007.yaml": "yaml-too-deep",
        "policies/escalation/bomb.yaml": "yaml-alias-bomb",
        "incidents/2026/INC-2026-0008.yaml": "file-too-large",
        "schedules/linked.yaml": "file-symlink",
    }
    for path, rule in expected.items():
        assert re.search(rf"^{re.escape(path)}:\d+:\d+: error: .* \[{rule}\]$", result.stdout, re.M), (path, rule)
    assert "secret" not in result.stdout


def test_traversal_id_never_becomes_a_path(tmp_path: Path) -> None:
    root = build_org(tmp_path / "org", {"incidents/2026/INC-2026-0002.yaml": "id: ../../../x\ntitle: t\n"})
    report = validate(root, now=NOW, use_cache=False)
    assert any(p.rule == "invalid-value" and "incident id" in p.message for p in report.problems)
    assert not (tmp_path / "x").exists()
