"""Every published JSON Schema must work in editors: their validators speak ECMA-262 regular expressions.

Python-only syntax such as ``(?P<name>...)`` made the schedule, escalation, services, severities and
maintenance schemas fail to compile in JavaScript engines and check-jsonschema. Each pattern is compiled
with ``regress`` (the ECMA-262 engine check-jsonschema uses) and with node's own ``RegExp`` in unicode mode.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import regress

from watchbill.fields import DURATION_PATTERN, parse_duration
from watchbill.files.kinds import KINDS
from watchbill.validate.schema import schema_text

PUBLISHED = Path(__file__).parents[1] / "schemas"


def patterns(node: Any) -> list[str]:
    """Every ``pattern`` value and ``patternProperties`` key in a schema."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                found.append(value)
            elif key == "patternProperties" and isinstance(value, dict):
                found.extend(value)
            found.extend(patterns(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(patterns(item))
    return found


SCHEMAS = {kind: json.loads(schema_text(kind)) for kind in KINDS}
PUBLISHED_SCHEMAS = {path.name: json.loads(path.read_text(encoding="utf-8")) for path in PUBLISHED.glob("*.json")}


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_every_pattern_compiles_as_ecma_262(kind: str) -> None:
    for pattern in patterns(SCHEMAS[kind]):
        regress.Regex(pattern, "u")  # raises RegressError on Python-only syntax


@pytest.mark.parametrize("name", sorted(PUBLISHED_SCHEMAS))
def test_every_published_schema_compiles_as_ecma_262(name: str) -> None:
    for pattern in patterns(PUBLISHED_SCHEMAS[name]):
        regress.Regex(pattern, "u")


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_compiles_every_pattern_in_unicode_mode() -> None:
    every = sorted({p for schema in [*SCHEMAS.values(), *PUBLISHED_SCHEMAS.values()] for p in patterns(schema)})
    script = (
        "const ps = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "const bad = ps.filter(p => { try { new RegExp(p, 'u'); return false; } catch (e) { return true; } });"
        "process.stdout.write(JSON.stringify(bad));"
    )
    result = subprocess.run(
        ["node", "-e", script], input=json.dumps(every), capture_output=True, text=True, timeout=30, check=True
    )
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize(
    "text", ["5m", "1h30m", "2d", "1w", "90s", "250ms", "1h5ms", "", "5", "5ms5m", "m", "1x", "1d1w", "٣m"]
)
def test_the_schema_pattern_accepts_exactly_what_the_parser_does(text: str) -> None:
    try:
        parse_duration(text)
        parsed = True
    except ValueError:
        parsed = False
    assert (regress.Regex(DURATION_PATTERN, "u").find(text) is not None) == parsed
