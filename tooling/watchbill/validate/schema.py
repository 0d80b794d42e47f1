"""JSON Schemas generated from the models, so editors validate as people type."""

from __future__ import annotations

import json
from pathlib import Path

from ..files.atomic import write_text_atomic
from ..files.kinds import KINDS


def schema_text(kind: str) -> str:
    spec = KINDS[kind]
    schema = spec.model.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"Watchbill {kind} ({spec.description})"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    written = []
    for kind, spec in KINDS.items():
        path = directory / spec.schema_file
        write_text_atomic(path, schema_text(kind))
        written.append(path)
    return written


def stale_schemas(directory: Path) -> list[str]:
    stale = []
    for kind, spec in KINDS.items():
        path = directory / spec.schema_file
        if not path.is_file() or path.read_text(encoding="utf-8") != schema_text(kind):
            stale.append(spec.schema_file)
    return stale
