"""Secrets read by Watchbill itself from ``WATCHBILL_SECRETS`` or ``WATCHBILL_SECRETS_FILE``: values kept exactly,
lines located, values masked in GitHub Actions and never printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.org_repo import make_repo
from support.orgfactory import NOW
from support.probe_servers import HttpServer, http_server

from watchbill.secrets import SecretsError, install, mask_commands, parse, read

WATCHBILL = Path(sys.executable).with_name("watchbill")
PADDED = "c2VjcmV0LXRva2Vu=="  # base64 with its padding, as API keys often are
SECRET = "s3cr3t-do-not-print"


def values(text: str) -> dict[str, str]:
    return {name: value for name, (value, _) in parse(text, "WATCHBILL_SECRETS").items()}


def test_a_value_keeps_its_trailing_equals_signs() -> None:
    assert values(f"API_TOKEN={PADDED}\n") == {"API_TOKEN": PADDED}


def test_a_value_keeps_every_equals_sign_after_the_first() -> None:
    assert values("DSN=postgres://u:p@h/db?sslmode=require&x==y") == {"DSN": "postgres://u:p@h/db?sslmode=require&x==y"}


def test_a_windows_line_end_is_dropped() -> None:
    assert values(f"API_TOKEN={PADDED}\r\nHOOK=abc\r\n") == {"API_TOKEN": PADDED, "HOOK": "abc"}


def test_comments_blank_lines_and_a_byte_order_mark_are_skipped() -> None:
    text = "\ufeff# the pager's keys\n\n   \nA=1\n  # indented comment\r\nB=2"
    assert values(text) == {"A": "1", "B": "2"}


def test_a_value_is_taken_as_written() -> None:
    assert values('A= spaced \nB="quoted"\nC=\nD=#not-a-comment') == {
        "A": " spaced ",
        "B": '"quoted"',
        "C": "",
        "D": "#not-a-comment",
    }


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (f"GOOD=1\n\nbad-name={SECRET}\n", 3),
        (f"GOOD=1\n{SECRET}\n", 2),  # a wrapped value on its own line
        (f"GOOD=1\r\n {SECRET}=x\r\n", 2),
        (f"9LIVES={SECRET}", 1),
        (f"lower={SECRET}", 1),
        (f"{SECRET}+/abc==\n", 1),  # base64 continuation: its '=' must not make it a name
    ],
)
def test_a_bad_line_is_located_and_never_quoted(text: str, line: int) -> None:
    with pytest.raises(SecretsError) as raised:
        parse(text, "WATCHBILL_SECRETS")
    message = str(raised.value)
    assert message.startswith(f"WATCHBILL_SECRETS line {line}: ")
    assert SECRET not in message
    assert "bad-name" not in message and "lower" not in message
    assert raised.value.exit_code == 2


def test_a_name_given_twice_is_refused_with_both_lines() -> None:
    with pytest.raises(SecretsError, match=r"^WATCHBILL_SECRETS line 3: A is already given on line 1$"):
        parse("A=1\nB=2\nA=3\n", "WATCHBILL_SECRETS")


def test_the_file_and_the_variable_are_both_read(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    path.write_bytes(f"FROM_FILE={PADDED}\r\n".encode())
    assert read({"WATCHBILL_SECRETS_FILE": str(path), "WATCHBILL_SECRETS": "FROM_VARIABLE=v"}) == {
        "FROM_FILE": PADDED,
        "FROM_VARIABLE": "v",
    }


def test_a_name_in_both_the_file_and_the_variable_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    path.write_text(f"# keys\nA={SECRET}\n")
    with pytest.raises(SecretsError) as raised:
        read({"WATCHBILL_SECRETS_FILE": str(path), "WATCHBILL_SECRETS": f"A={SECRET}"})
    first = f"WATCHBILL_SECRETS_FILE ({path}) line 2"
    assert str(raised.value) == f"WATCHBILL_SECRETS line 1: A is already given in {first}"


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.env"
    with pytest.raises(SecretsError, match=rf"^cannot read WATCHBILL_SECRETS_FILE \({missing}\): No such file"):
        read({"WATCHBILL_SECRETS_FILE": str(missing)})


def test_a_file_that_is_not_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    path.write_bytes(b"A=\xff\xfe")
    with pytest.raises(SecretsError, match=r"is not UTF-8 text \(byte 3\)"):
        read({"WATCHBILL_SECRETS_FILE": str(path)})


def test_nothing_is_read_when_nothing_is_set() -> None:
    assert read({"WATCHBILL_SECRETS": ""}) == {}


def test_install_merges_the_values_and_drops_the_bundle() -> None:
    environ = {"WATCHBILL_SECRETS": f"API_TOKEN={PADDED}\nHOOK=abc", "PATH": "/bin"}
    assert install(environ) == []
    assert environ == {"API_TOKEN": PADDED, "HOOK": "abc", "PATH": "/bin"}


def test_each_value_is_masked_once_in_github_actions_only() -> None:
    environ = {"WATCHBILL_SECRETS": f"A={PADDED}\nB={PADDED}\nC=\nD=x", "GITHUB_ACTIONS": "true"}
    assert install(environ) == [f"::add-mask::{PADDED}", "::add-mask::x"]
    assert mask_commands([PADDED], {"GITHUB_ACTIONS": "false"}) == []
    assert mask_commands([PADDED], {}) == []


def test_mask_data_is_escaped_as_the_runner_unescapes_it() -> None:
    assert mask_commands(["50%25off"], {"GITHUB_ACTIONS": "true"}) == ["::add-mask::50%2525off"]


# --- through the command, as a workflow step runs it ------------------------------------------------------


@pytest.fixture
def server() -> Iterator[HttpServer]:
    with http_server() as running:
        yield running


def _org(tmp_path: Path, server: HttpServer) -> Path:
    services = f"""\
services:
  - id: api
    name: Public API
    owner: primary
    probes:
      - id: health
        timeout: 1s
        retries: 0
        http:
          url: {server.url}/ok
          headers:
            Authorization: Bearer ${{API_TOKEN}}
  - id: db
    name: Database
    owner: primary
"""
    work, _ = make_repo(tmp_path, {"policies/services.yaml": services})
    return work


def _probe(work: Path, tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    environ = {
        "PATH": f"{WATCHBILL.parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "WATCHBILL_CACHE_DIR": str(tmp_path / "cache"),
        **{name: os.environ[name] for name in ("PYTHONPATH",) if name in os.environ},
        **extra,
    }
    command = [str(WATCHBILL), "probe", "--all", "--out", str(tmp_path / "r.json"), "--at", NOW.isoformat()]
    return subprocess.run(command, cwd=work, env=environ, capture_output=True, text=True, timeout=120, check=False)


def test_a_probe_step_sends_the_padded_secret_and_masks_it_first(tmp_path: Path, server: HttpServer) -> None:
    work = _org(tmp_path, server)
    bundle = f"# probe credentials\r\nAPI_TOKEN={PADDED}\r\n"
    done = _probe(work, tmp_path, WATCHBILL_SECRETS=bundle, GITHUB_ACTIONS="true")
    assert done.returncode == 0, done.stdout + done.stderr
    assert server.behaviour.headers_seen[-1]["Authorization"] == f"Bearer {PADDED}"
    assert done.stderr.splitlines()[0] == f"::add-mask::{PADDED}"
    assert done.stderr.count(PADDED) == 1 and PADDED not in done.stdout
    assert PADDED not in json.dumps(json.loads((tmp_path / "r.json").read_text()))


def test_outside_github_actions_no_value_is_printed(tmp_path: Path, server: HttpServer) -> None:
    work = _org(tmp_path, server)
    path = tmp_path / "secrets.env"
    path.write_text(f"API_TOKEN={PADDED}\n")
    done = _probe(work, tmp_path, WATCHBILL_SECRETS_FILE=str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert server.behaviour.headers_seen[-1]["Authorization"] == f"Bearer {PADDED}"
    assert PADDED not in done.stdout + done.stderr
    assert "add-mask" not in done.stdout + done.stderr


def test_a_bad_secrets_line_stops_the_step_with_its_line_and_no_value(tmp_path: Path, server: HttpServer) -> None:
    work = _org(tmp_path, server)
    done = _probe(work, tmp_path, WATCHBILL_SECRETS=f"API_TOKEN={PADDED}\n{SECRET}\n", GITHUB_ACTIONS="true")
    assert done.returncode == 2
    assert "WATCHBILL_SECRETS line 2: expected NAME=value" in done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert PADDED not in done.stdout + done.stderr
    assert server.behaviour.hits == 0
