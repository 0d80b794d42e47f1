"""Hostile text in every field the site shows stays text: in Chromium's DOM, in the Atom feed, in the JSON API.

The corpus carries the usual tricks (script tags, event handlers, ``javascript:`` and ``data:`` links,
attribute breakouts, template syntax, mkdocs extension syntax, XML entities, bidi and zero-width
characters, spreadsheet formulas, very long text). Every payload that could run sets ``window.__pwned``
or opens an alert, so the browser tests need no knowledge of how a payload would have got in.
"""

from __future__ import annotations

import html.parser
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from support.orgfactory import MINIMAL_ORG, NOW, build_org
from support.site_org import REPO, serve

from watchbill.site.audience import AUDIENCES
from watchbill.site.engine import build_site
from watchbill.validate import load_organisation

pytestmark = pytest.mark.slow  # builds whole sites, several in a browser

HTML_TRICKS = (
    "<script>window.__pwned=1;alert(1)</script>",
    '<img src=x onerror="window.__pwned=1;alert(2)">',
    "<svg onload=window.__pwned=1><circle r=1 /></svg>",
    "<svg><script>window.__pwned=1</script></svg>",
    '"><script>window.__pwned=1</script>',
    "'><img src=x onerror=window.__pwned=1>",
    "</title><script>window.__pwned=1</script>",
    "</textarea></style></noscript></script><script>window.__pwned=1</script>",
    '<iframe src="javascript:top.__pwned=1"></iframe>',
    '<a href="javascript:window.__pwned=1">click</a>',
    '<details open ontoggle="window.__pwned=1">x</details>',
    '<input autofocus onfocus="window.__pwned=1">',
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__pwned=1>",
    '<!--<img src="--><img src=x onerror=window.__pwned=1//">',
    '<meta http-equiv="refresh" content="0;url=javascript:window.__pwned=1">',
    '<base href="javascript:window.__pwned=1//">',
    '<object data="data:text/html,<script>parent.__pwned=1</script>"></object>',
    '<img src="http://127.0.0.2:9/beacon.png">',
)
MARKDOWN_TRICKS = (
    "[click](javascript:window.__pwned=1)",
    "[click](JaVaScRiPt:window.__pwned=1)",
    "[click](&#106;avascript:window.__pwned=1)",
    "[click](java&#x09;script:window.__pwned=1)",
    "[click](data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX19wd25lZD0xPC9zY3JpcHQ+)",
    "<javascript:window.__pwned=1>",
    '[x](https://example.com/" onmouseover="window.__pwned=1)',
    '![beacon](http://127.0.0.2:9/x.png" onerror="window.__pwned=1)',
    "[ref][r]\n\n[r]: javascript:window.__pwned=1",
    '<div onclick="window.__pwned=1">raw block</div>\n\n<script>window.__pwned=1</script>',
    '!!! note "<script>window.__pwned=1</script>"\n    admonition body',
    '--8<-- "/etc/passwd"\n\n;--8<-- "../../../../../../etc/passwd"',
    'A paragraph with attributes\n{: onclick="window.__pwned=1" }',
    "`<script>window.__pwned=1</script>` in code, and\n\n```html\n<script>window.__pwned=1</script>\n```",
    "<style>body{background:url(javascript:window.__pwned=1)}</style>",
)
TEXT_TRICKS = (
    "{{ 7 * 1913 }} {% raw %}{{ config }}{% endraw %} {# c #} {{ ''.__class__ }}",
    "${7*1913} #{7*1913} <%= 7*1913 %>",
    '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>',
    "CDATA end ]]> and <![CDATA[ <script>window.__pwned=1</script> ]]>",
    "&amp;lt;script&amp;gt; &#x3C;script&#x3E; &lt;b&gt; &#0; &unknown;",
    "=cmd|' /C calc'!A0",
    '+SUM(1+1)*cmd|" /C calc"!A0 @SUM(1) -2+3',
    "bidi \u202egnp.exe\u202c zero\u200bwidth \u200d\ufeff joiner \u2066isolate\u2069",
    "control \x01\x08\x0b\x0c\x1b\x7f \ufffe\uffff end",
    "title: injected\n---\nhide: [navigation]\n",
)
CORPUS = HTML_TRICKS + MARKDOWN_TRICKS + TEXT_TRICKS
"""Every payload; each appears in every kind of field, one incident per payload."""

LONG_TITLE = ("<script>window.__pwned=1</script>" * 7)[:200]
LONG_MESSAGE = ("<img src=x onerror=window.__pwned=1> [x](javascript:window.__pwned=1) " * 300)[:19_500]
SECRETS = {
    "internal incident": "INTERNAL-ONLY-7f3a",
    "quiet severity incident": "QUIET-SEV-9b1c",
    "draft postmortem": "DRAFT-PM-8e8e",
    "timeline": "TIMELINE-ONLY-3c4d",
    "label": "LABEL-ONLY-6a6a",
    "person name": "PERSON-NAME-5e2d",
    "schedule": "SCHEDULE-NAME-1a2b",
    "policy": "POLICY-NAME-2b2b",
    "channel": "CHANNEL-NAME-4c4c",
    "internal service": "HIDDEN-SERVICE-0d0d",
    "probe target": "probe-target.internal.example",
    "action item link": "tracker.internal.example",
    "contact": "pat.private@internal.example",
    "phone": "+15550100777",
    "env reference": "${PAT_PHONE}",
    "webhook": "hooks.internal.example",
    "webhook path": "T0SECRET/B0SECRET",
    "webhook env": "${WEBHOOK_SECRET}",
}
"""Markers of text only the internal audience may see; those in NEVER may appear in no build at all."""
NEVER = ("hooks.internal.example", "T0SECRET/B0SECRET", "${WEBHOOK_SECRET}", "${PAT_PHONE}", "${SMTP_PASSWORD}")
INTERNAL_ONLY = tuple(v for v in SECRETS.values() if v not in NEVER)
SHOWN_INSIDE = (
    "internal incident",
    "quiet severity incident",
    "draft postmortem",
    "timeline",
    "label",
    "person name",
    "schedule",
    "policy",
    "channel",
    "internal service",
    "action item link",
)
"""The markers the internal audience must see, which proves the public check looks for real text."""
PWNED = "window.__pwned === undefined ? null : String(window.__pwned)"


def _at(day: int, hour: int, minute: int = 0) -> str:
    return f"2026-11-{day:02d}T{hour:02d}:{minute:02d}:00Z"


def _pick(index: int, shift: int) -> str:
    return CORPUS[(index + shift) % len(CORPUS)]


def _title(index: int) -> str:
    return f"T{index} {CORPUS[index]}"[:200]


def _incident(index: int) -> dict[str, Any]:
    """One public incident per payload, with the payload and its neighbours in every field."""
    day = 1 + index % 20
    open_ = index % 4 == 0
    doc: dict[str, Any] = {
        "id": f"INC-2026-{index + 100:04d}",
        "title": _title(index),
        "severity": "SEV-1" if index % 2 else "SEV-2",
        "status": "identified" if open_ else "resolved",
        "summary": _pick(index, 1),
        "services": [{"service": "api" if index % 3 else "web", "impact": "partial_outage"}],
        "detected_by": "customer",
        "started_at": _at(day, 8),
        "detected_at": _at(day, 8, 5),
        "acknowledged_at": _at(day, 8, 10),
        "labels": [SECRETS["label"]],
        "updates": [
            {"at": _at(day, 8, 15), "status": "investigating", "message": _pick(index, 0)},
            {"at": _at(day, 8, 45), "status": "identified", "message": _pick(index, 2) + "\n\n" + _pick(index, 3)},
        ],
        "timeline": [{"at": _at(day, 8, 20), "kind": "note", "message": SECRETS["timeline"] + _pick(index, 4)}],
    }
    if not open_:
        doc.update(mitigated_at=_at(day, 9), resolved_at=_at(day, 9, 30))
        doc["updates"].append({"at": _at(day, 9, 30), "status": "resolved", "message": _pick(index, 5)})
        doc["postmortem"] = {
            "status": "published",
            "published_on": f"2026-11-{day + 1:02d}",
            "authors": ["pat"],
            "summary": _pick(index, 6),
            "impact": _pick(index, 7),
            "trigger": _pick(index, 8),
            "root_cause": _pick(index, 9),
            "root_cause_category": "config-change",
            "resolution": _pick(index, 10),
            "detection": _pick(index, 11),
            "contributing_factors": [_pick(index, 12), _pick(index, 13)],
            "went_well": [_pick(index, 14)],
            "to_improve": [_pick(index, 15)],
            "got_lucky": [_pick(index, 16)],
            "action_items": [
                {
                    "title": _pick(index, 17)[:200],
                    "owner": "pat",
                    "due": "2026-12-15",
                    "link": 'https://tracker.internal.example/SEC-4242"><script>window.__pwned=1</script>',
                }
            ],
        }
    return doc


def _hidden_incidents() -> dict[str, dict[str, Any]]:
    base = {
        "services": [{"service": "api", "impact": "major_outage"}],
        "detected_by": "internal",
        "started_at": _at(21, 8),
        "detected_at": _at(21, 8, 1),
        "updates": [{"at": _at(21, 8, 2), "status": "investigating", "message": "<b>hidden</b>"}],
    }
    return {
        "INC-2026-0900": {
            **base,
            "id": "INC-2026-0900",
            "title": f"{SECRETS['internal incident']} <script>window.__pwned=1</script>",
            "severity": "SEV-1",
            "status": "investigating",
            "visibility": "internal",
        },
        "INC-2026-0901": {
            **base,
            "id": "INC-2026-0901",
            "title": f"{SECRETS['quiet severity incident']} <img src=x onerror=window.__pwned=1>",
            "severity": "SEV-3",
            "status": "investigating",
        },
        "INC-2026-0902": {
            **base,
            "id": "INC-2026-0902",
            "title": LONG_TITLE,
            "severity": "SEV-1",
            "status": "resolved",
            "resolved_at": _at(21, 10),
            "updates": [{"at": _at(21, 9), "status": "resolved", "message": LONG_MESSAGE}],
            "postmortem": {
                "status": "draft",
                "summary": SECRETS["draft postmortem"],
                "impact": "<script>window.__pwned=1</script>",
                "root_cause": "[x](javascript:window.__pwned=1)",
            },
        },
    }


def _settings() -> dict[str, Any]:
    return {
        "organisation": 'Acme "><script>window.__pwned=1</script> {{ 7 * 1913 }}',
        "timezone": "UTC",
        "default_escalation": "standard",
        "status_page": {
            "title": "</title><script>window.__pwned=1</script> Status \u202eevil",
            "description": '<img src=x onerror=window.__pwned=1> "quoted" & {% raw %}',
            "url": 'https://status.example.com/"><script>window.__pwned=1</script>',
            "support_url": "https://help.example.com/'onmouseover='window.__pwned=1'",
        },
    }


def _severity(ident: str, name: str, public: bool) -> dict[str, Any]:
    return {
        "id": ident,
        "name": name,
        "description": "<script>window.__pwned=1</script> severity",
        "public": public,
        "statuspage_impact": "major",
        "targets": {"acknowledge": "5m", "first_update": "15m", "update_every": "30m", "resolve": "4h"},
        "escalation": "standard",
        "postmortem": {"required": False},
    }


def _services() -> dict[str, Any]:
    return {
        "services": [
            {
                "id": "api",
                "name": '<svg onload=window.__pwned=1> API "quoted"',
                "group": "<img src=x onerror=window.__pwned=1>",
                "description": "[click](javascript:window.__pwned=1) {{ 7 * 1913 }} =cmd|' /C calc'!A0",
                "owner": "primary",
                "slo": {"target": 99.9},
                "probes": [{"id": "health", "http": {"url": "https://probe-target.internal.example/health"}}],
            },
            {
                "id": "web",
                "name": "Web ]]> &amp; \u200bzero",
                "group": '"><script>window.__pwned=1</script>',
                "description": "<details open ontoggle=window.__pwned=1>",
                "owner": "primary",
                "slo": {"target": 99.5},
            },
            {
                "id": "ledger",
                "name": SECRETS["internal service"],
                "owner": "primary",
                "public": False,
            },
        ]
    }


def _people() -> dict[str, Any]:
    return {
        "people": [
            {
                "id": "pat",
                "name": f"{SECRETS['person name']} <script>window.__pwned=1</script>",
                "timezone": "Europe/Berlin",
                "contacts": {"email": SECRETS["contact"], "sms": SECRETS["phone"], "webhook": SECRETS["env reference"]},
            },
            {"id": "alice", "name": "Alice", "timezone": "UTC", "contacts": {"email": "${ALICE_EMAIL}"}},
            {"id": "bob", "name": "Bob", "timezone": "UTC"},
        ]
    }


def _channels() -> dict[str, Any]:
    return {
        "channels": [
            {
                "id": "email",
                "name": "Email",
                "kind": "email",
                "url": "mailtos://${SMTP_USER}:${SMTP_PASSWORD}@smtp.internal.example?to={address}",
                "personal": True,
            },
            {
                "id": "webhook",
                "name": f"{SECRETS['channel']} <img src=x onerror=window.__pwned=1>",
                "kind": "webhook",
                "url": "json://hooks.internal.example:8443/T0SECRET/B0SECRET?token=${WEBHOOK_SECRET}",
            },
            {
                "id": "sms",
                "name": "SMS",
                "kind": "sms",
                "url": "json://127.0.0.1:9/${WEBHOOK_SECRET}",
                "personal": True,
            },
        ]
    }


def _schedule() -> dict[str, Any]:
    return {
        "id": "primary",
        "name": f"{SECRETS['schedule']} <script>window.__pwned=1</script>",
        "description": "[x](javascript:window.__pwned=1) <b>desc</b>",
        "timezone": "Europe/Berlin",
        "layers": [
            {
                "name": '"><svg onload=window.__pwned=1>',
                "start": "2026-01-05T09:00:00+01:00",
                "members": ["pat", "alice"],
                "rotation": "weekly",
                "handoff": {"weekday": "monday", "time": "09:00"},
            }
        ],
        "overrides": [
            {
                "person": "bob",
                "start": "2026-11-24T09:00:00Z",
                "end": "2026-11-25T09:00:00Z",
                "reason": "<img src=x onerror=window.__pwned=1>",
            }
        ],
    }


def _policy() -> dict[str, Any]:
    return {
        "id": "standard",
        "name": f"{SECRETS['policy']} <script>window.__pwned=1</script>",
        "description": "<iframe src=javascript:top.__pwned=1>",
        "steps": [
            {"after": "0m", "targets": ["schedule:primary"], "via": ["webhook"]},
            {"after": "15m", "targets": ["person:pat", "channel:webhook"]},
        ],
    }


def _maintenance() -> dict[str, dict[str, Any]]:
    return {
        "MNT-2026-0100": {
            "id": "MNT-2026-0100",
            "title": "<script>window.__pwned=1</script> upcoming",
            "description": "[click](javascript:window.__pwned=1)\n\n<div onclick=window.__pwned=1>x</div>",
            "services": ["api"],
            "start": "2026-11-25T02:00:00Z",
            "end": "2026-11-25T03:00:00Z",
        },
        "MNT-2026-0101": {
            "id": "MNT-2026-0101",
            "title": '"><img src=x onerror=window.__pwned=1> in progress',
            "description": "{{ 7 * 1913 }} ]]> =cmd|' /C calc'!A0",
            "services": ["web"],
            "start": "2026-11-23T11:00:00Z",
            "end": "2026-11-23T13:00:00Z",
        },
        "MNT-2026-0102": {
            "id": "MNT-2026-0102",
            "title": "<svg onload=window.__pwned=1> weekly",
            "description": "!!! warning\n    <script>window.__pwned=1</script>",
            "services": ["web"],
            "cron": "0 6 * * 2",
            "duration": "1h",
            "timezone": "Europe/Berlin",
        },
    }


def hostile_org(root: Path) -> Path:
    """The minimal organisation with every shown field replaced by hostile text, plus the repository's site/."""
    files: dict[str, Any] = {
        "policies/settings.yaml": _settings(),
        "policies/severities.yaml": {
            "severities": [
                _severity("SEV-1", "<script>window.__pwned=1</script> Critical", True),
                _severity("SEV-2", '"><img src=x onerror=window.__pwned=1>', True),
                _severity("SEV-3", "Quiet", False),
            ]
        },
        "policies/services.yaml": _services(),
        "policies/channels.yaml": _channels(),
        "policies/escalation/standard.yaml": _policy(),
        "schedules/people.yaml": _people(),
        "schedules/primary.yaml": _schedule(),
    }
    for index in range(len(CORPUS)):
        doc = _incident(index)
        files[f"incidents/2026/{doc['id']}.yaml"] = doc
    for ident, doc in _hidden_incidents().items():
        files[f"incidents/2026/{ident}.yaml"] = doc
    for ident, doc in _maintenance().items():
        files[f"incidents/maintenance/{ident}.yaml"] = doc
    changes: dict[str, str | bytes | None] = dict.fromkeys(MINIMAL_ORG)
    changes.update({name: json.dumps(doc, indent=1) + "\n" for name, doc in files.items()})  # JSON is YAML
    shutil.rmtree(root, ignore_errors=True)
    build_org(root, changes)
    shutil.copytree(REPO / "site", root / "site", ignore=shutil.ignore_patterns("public", "build"))
    return root


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHBILL_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both audiences built strictly from the hostile organisation."""
    root = hostile_org(tmp_path_factory.mktemp("hostile") / "org")
    org = load_organisation(root, now=NOW, use_cache=False)
    out: dict[str, Path] = {}
    for audience in AUDIENCES:
        result = build_site(
            root / "site" / "mkdocs.yml",
            organisation=org,
            audience=audience,
            now=NOW,
            site_dir=root / f"out-{audience}",
        )
        out[audience] = result.site_dir
    return out


def _texts(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): p.read_bytes().decode("utf-8", "replace")
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.suffix not in (".gz", ".png", ".ico", ".woff2", ".woff")
    }


def _pages(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory).as_posix()) for p in directory.rglob("*.html"))


# --- the corpus loads ---------------------------------------------------------------------------------------


def test_the_hostile_organisation_is_valid_so_every_payload_reaches_the_site(tmp_path: Path) -> None:
    org = load_organisation(hostile_org(tmp_path / "org"), now=NOW, use_cache=False)
    titles = {i.title for i in org.incidents.values()}
    assert {_title(i) for i in range(len(CORPUS))} <= titles
    assert LONG_TITLE in titles


def test_every_public_incident_has_its_own_page(built: dict[str, Path]) -> None:
    pages = set(_pages(built["public"]))
    for index in range(len(CORPUS)):
        assert f"incidents/INC-2026-{index + 100:04d}/index.html" in pages


# --- static checks of every generated file ------------------------------------------------------------------


GENERATED = (".html", ".json", ".atom", ".xml", ".txt")
"""What the build writes from the organisation's data (the theme's own scripts and styles are left out)."""


def test_no_template_or_include_syntax_is_evaluated(built: dict[str, Path]) -> None:
    for audience, directory in built.items():
        for name, text in _texts(directory).items():
            if not name.endswith(GENERATED):
                continue
            assert "13391" not in text, f"{audience}/{name} evaluated 7 * 1913"
            assert "root:x:0:0" not in text, f"{audience}/{name} included /etc/passwd"
            assert "&lt;class 'str'&gt;" not in text and "<class 'str'>" not in text, f"{audience}/{name}"


def test_the_public_build_shows_no_internal_marker(built: dict[str, Path]) -> None:
    leaks = sorted(
        (name, marker) for name, text in _texts(built["public"]).items() for marker in INTERNAL_ONLY if marker in text
    )
    assert leaks == []


def test_the_internal_build_does_show_the_internal_markers(built: dict[str, Path]) -> None:
    everything = "\n".join(_texts(built["internal"]).values())
    assert [SECRETS[k] for k in SHOWN_INSIDE if SECRETS[k] not in everything] == []


@pytest.mark.parametrize("audience", ["public", "internal"])
def test_no_build_shows_a_webhook_url_or_an_env_reference(built: dict[str, Path], audience: str) -> None:
    leaks = sorted(
        (name, secret) for name, text in _texts(built[audience]).items() for secret in NEVER if secret in text
    )
    assert leaks == []


# --- Atom feed ----------------------------------------------------------------------------------------------

ATOM = "{http://www.w3.org/2005/Atom}"


class _Markup(html.parser.HTMLParser):
    """Collects what would be live in an HTML fragment: elements that run or load, handlers and script URLs."""

    LIVE_TAGS = frozenset({"script", "iframe", "object", "embed", "base", "meta", "img", "svg", "style", "form"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.live: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.LIVE_TAGS:
            self.live.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.live.append(f"<{tag} {name}>")
            if value is not None and _script_url(value):
                self.live.append(f"<{tag} {name}={value}>")


def _script_url(value: str) -> bool:
    text = re.sub(r"[\x00-\x20]", "", value).lower()
    return text.startswith(("javascript:", "data:", "vbscript:"))


def _feed(built: dict[str, Path], audience: str) -> ET.Element:
    return ET.fromstring((built[audience] / "history.atom").read_bytes())


@pytest.mark.parametrize("audience", ["public", "internal"])
def test_the_feed_is_well_formed_xml(built: dict[str, Path], audience: str) -> None:
    root = _feed(built, audience)
    assert root.tag == f"{ATOM}feed"
    assert len(root.findall(f"{ATOM}entry")) >= len(CORPUS)


def test_the_feed_declares_no_doctype_or_entity(built: dict[str, Path]) -> None:
    data = (built["public"] / "history.atom").read_bytes()
    assert b"<!DOCTYPE" not in data and b"<!ENTITY" not in data
    assert b"<script" not in data and b"]]>" not in data


def _xml_text(text: str) -> str:
    """What an XML 1.0 document can carry of ``text``: characters XML forbids are left out."""
    return re.sub("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", "", text)


def test_feed_titles_carry_the_hostile_text_verbatim(built: dict[str, Path]) -> None:
    titles = {(e.findtext(f"{ATOM}title") or "") for e in _feed(built, "public").iter(f"{ATOM}entry")}
    for index in range(len(CORPUS)):
        status = "Identified" if index % 4 == 0 else "Resolved"
        assert f"{_xml_text(_title(index))} ({status})" in titles


def test_feed_content_is_html_that_runs_nothing(built: dict[str, Path]) -> None:
    for entry in _feed(built, "public").iter(f"{ATOM}entry"):
        content = entry.find(f"{ATOM}content")
        assert content is not None and content.get("type") == "html"
        parser = _Markup()
        parser.feed(content.text or "")
        parser.close()
        assert parser.live == [], entry.findtext(f"{ATOM}title")


def test_feed_content_shows_the_payloads_as_text(built: dict[str, Path]) -> None:
    contents = "\n".join((e.findtext(f"{ATOM}content") or "") for e in _feed(built, "public").iter(f"{ATOM}entry"))
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in contents
    assert "&lt;img src=x onerror=" in contents


# --- JSON API -----------------------------------------------------------------------------------------------


def _json(built: dict[str, Path], name: str) -> Any:
    return json.loads((built["public"] / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("audience", ["public", "internal"])
def test_every_json_file_parses(built: dict[str, Path], audience: str) -> None:
    names = sorted(p for p in built[audience].rglob("*.json"))
    assert len(names) > 10
    for path in names:
        json.loads(path.read_text(encoding="utf-8"))


def test_json_incidents_carry_titles_and_update_bodies_as_plain_strings(built: dict[str, Path]) -> None:
    incidents = {i["id"]: i for i in _json(built, "api/v2/incidents.json")["incidents"]}
    for index in range(len(CORPUS)):
        doc = _incident(index)
        found = incidents[doc["id"]]
        assert found["name"] == doc["title"]
        assert {u["body"] for u in found["incident_updates"]} == {u["message"] for u in doc["updates"]}


def test_json_components_carry_names_and_descriptions_as_plain_strings(built: dict[str, Path]) -> None:
    components = {c["id"]: c for c in _json(built, "api/v2/components.json")["components"]}
    for service in _services()["services"][:2]:
        assert components[service["id"]]["name"] == service["name"]
        assert components[service["id"]]["description"] == service["description"]
    assert _json(built, "api/v2/status.json")["page"]["name"] == _settings()["status_page"]["title"]


def test_json_maintenance_carries_titles_as_plain_strings(built: dict[str, Path]) -> None:
    windows = _json(built, "api/v2/scheduled-maintenances.json")["scheduled_maintenances"]
    assert {w["name"] for w in windows} == {m["title"] for m in _maintenance().values()}


def test_badges_carry_service_names_as_plain_strings(built: dict[str, Path]) -> None:
    for service in _services()["services"][:2]:
        assert _json(built, f"badges/{service['id']}.json")["label"] == service["name"]


# --- in Chromium (the ``browser`` fixture, from conftest.py) ------------------------------------------------

SCAN = """() => {
  const found = [];
  const risky = /^(javascript|data|vbscript):/i;
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const value = attr.value.replace(/[\\u0000-\\u0020]/g, "");
      if (attr.name.toLowerCase().startsWith("on")) found.push(`${el.tagName} ${attr.name}`);
      if (risky.test(value)) found.push(`${el.tagName} ${attr.name}=${attr.value.slice(0, 60)}`);
    }
  }
  for (const el of document.querySelectorAll("iframe, frame, object, embed, base, meta[http-equiv]")) {
    found.push(el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll("script")) {
    const text = el.src || el.textContent;
    const foreign = el.src && !el.src.startsWith(location.origin);
    if (/pwned|alert\\(/.test(text) || foreign) found.push(`script ${text.slice(0, 60)}`);
  }
  return found;
}"""


class _Watch:
    """A browser tab that records every dialog and every request, dismissing dialogs so nothing blocks."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.elsewhere: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("request", self._request)
        self.base_url = base_url

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _request(self, request: Any) -> None:
        if not request.url.startswith(self.base_url):
            self.elsewhere.append(request.url)

    def close(self) -> None:
        self.context.close()


@pytest.mark.browser
@pytest.mark.parametrize("audience", ["public", "internal"])
def test_no_page_runs_or_carries_anything_from_the_corpus(browser: Any, built: dict[str, Path], audience: str) -> None:
    problems: list[str] = []
    with serve(built[audience]) as base_url:
        watch = _Watch(browser, base_url)
        try:
            for path in _pages(built[audience]):
                url = base_url + path.removesuffix("index.html")
                watch.page.goto(url, wait_until="load")
                for item in watch.page.evaluate(SCAN):
                    problems.append(f"{path}: {item}")
                pwned = watch.page.evaluate(PWNED)
                if pwned is not None:
                    problems.append(f"{path}: window.__pwned = {pwned}")
        finally:
            watch.close()
    assert problems == []
    assert watch.dialogs == []
    assert watch.elsewhere == []


def _normal(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.browser
def test_titles_read_in_the_browser_exactly_as_written(browser: Any, built: dict[str, Path]) -> None:
    with serve(built["public"]) as base_url:
        watch = _Watch(browser, base_url)
        try:
            wrong = []
            for index in range(len(CORPUS)):
                watch.page.goto(f"{base_url}incidents/INC-2026-{index + 100:04d}/", wait_until="domcontentloaded")
                heading = watch.page.locator("article h1, .wb h1").first.text_content() or ""
                if _normal(heading) != _normal(_title(index)):
                    wrong.append((index, heading))
        finally:
            watch.close()
    assert wrong == []


@pytest.mark.browser
def test_searching_for_hostile_text_runs_nothing(browser: Any, built: dict[str, Path]) -> None:
    with serve(built["public"]) as base_url:
        watch = _Watch(browser, base_url)
        try:
            page = watch.page
            page.goto(base_url, wait_until="load")
            box = page.locator("input.md-search__input")
            box.click()
            box.press_sequentially("<img src=x onerror=window.__pwned=1> click", delay=10)
            results = page.locator(".md-search-result__item")
            results.first.wait_for(timeout=15_000)
            assert "onerror=window.__pwned=1" in (results.first.text_content() or "")
            assert page.evaluate(PWNED) is None
            results.first.locator("a").first.click()
            page.wait_for_load_state("load")
            assert "?h=" in page.url
            assert page.evaluate(PWNED) is None
            assert page.evaluate(SCAN) == []
        finally:
            watch.close()
    assert watch.dialogs == []


@pytest.mark.browser
def test_service_group_and_maintenance_names_read_in_the_browser_exactly_as_written(
    browser: Any, built: dict[str, Path]
) -> None:
    services = _services()["services"][:2]
    with serve(built["public"]) as base_url:
        watch = _Watch(browser, base_url)
        try:
            page = watch.page
            page.goto(base_url, wait_until="load")
            names = {s["id"]: page.locator(f"#service-{s['id']} .wb-service__name").text_content() for s in services}
            groups = set(page.locator(".wb-group__name").all_text_contents())
            windows = set(page.locator(".wb-border--maintenance .wb-card__title").all_text_contents())
        finally:
            watch.close()
    assert names == {s["id"]: s["name"] for s in services}
    assert groups == {s["group"] for s in services}
    assert windows == {m["title"] for m in _maintenance().values()}
