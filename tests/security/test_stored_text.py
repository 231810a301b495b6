"""Stored text is data: markup, SQL, long Unicode, emoji, right-to-left text and control
characters come back exactly as sent, on both databases, and never run anywhere."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import Board, expect, make_task

NASTY: dict[str, str] = {
    "html": '<script>alert("x")</script><img src=x onerror="alert(1)"> &amp; &lt;b&gt; <!--',
    "attribute breakout": "\"'><svg/onload=alert(document.cookie)>`${7*7}`{{7*7}}",
    "sql": "Robert'); DROP TABLE tasks;-- \" OR 1=1 /* */ UNION SELECT password_hash FROM users",
    "like wildcards": "100% of _all_ tasks \\ escaped \\% too",
    "emoji": "🚀 Ship it 👩‍💻 🏳️‍🌈 🇺🇦 👍🏽 \U0001d49c\U0001d4c1\U0001d4c5\U0001d4bd\U0001d4b6 🀄",
    "right to left": "עברית العربية \u202eevil.exe\u202c \u200f\u200e mixed ltr",
    "control characters": "tab\there\r\nCRLF \x01\x02\x1b[31mANSI\x1b[0m \x7f \x85 \u2028 \u2029 "
    "\ufeff \u200b \ufffd",
    "combining marks": "e\u0301 is not \u00e9, and Z\u0351\u0364\u036b\u0300a\u0353lgo",
    "escapes as text": '{"a": [1]} \\u0000 \\n \\" literal backslashes',
    "internal whitespace": "a  b\u00a0c\u3000d",
}
LONG_DESCRIPTION = ("Ünïcödé 漢字 🚀 עברית " * 6000)[:100_000]
LONG_TITLE = "漢🚀" * 250
LONG_COMMENT = ("👩‍💻 مرحبا " * 3000)[:20_000]


def assert_inert(r: httpx.Response) -> None:
    """JSON, never sniffed as HTML, and no page may run anything from it."""
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"].startswith("default-src 'none'")


async def get(client: httpx.AsyncClient, board: Board, url: str) -> Any:
    r = await client.get(url, headers=board.owner.headers)
    assert r.status_code == 200, r.text
    assert_inert(r)
    return r.json()


async def test_tasks_and_comments_round_trip(client: httpx.AsyncClient, board: Board) -> None:
    url = f"/api/v1/projects/{board.pid}/tasks"
    created = {}
    for name, text in {**NASTY, "long": LONG_TITLE}.items():
        description = f"{text}\n\n{LONG_DESCRIPTION}"[:100_000] if name == "long" else text
        task = await make_task(client, board.member, board.pid, title=text, description=description)
        assert (task["title"], task["description"]) == (text, description), name
        created[task["id"]] = (name, text, description)
    for task_id, (name, title, description) in created.items():
        fetched = await get(client, board, f"/api/v1/tasks/{task_id}")
        assert fetched["title"] == title, name
        assert fetched["description"] == description, name
        history = await get(client, board, f"/api/v1/tasks/{task_id}/activity")
        first = history["items"][0]["changes"]
        assert first["title"]["to"] == title, name
        assert first["description"]["to"] == description, name
    listed = await get(client, board, f"{url}?limit=200")
    assert {t["id"]: t["title"] for t in listed["items"]} == {
        task_id: title for task_id, (_, title, _) in created.items()
    }

    # `q` is a query (words and field terms): what is typed is never SQL, a LIKE pattern or
    # the full-text engine's own syntax. Symbols alone are no words, hence no condition.
    ids = {name: task_id for task_id, (name, _, _) in created.items()}
    everything = set(ids)
    for query, expected in {
        "%": everything,
        "_all_": {"like wildcards"},
        "DROP TABLE": {"sql"},
        "' OR 1=1": {"sql"},  # "'" has no word; OR takes the phrase "1 1"
        '"*" NEAR(a) ^x:': set(),
        "👩‍💻": everything,
        "العربية": {"right to left"},
        "<script>": {"html"},
    }.items():
        found = await get(client, board, f"{url}?{httpx.QueryParams(q=query, limit=200)}")
        assert {t["id"] for t in found["items"]} == {ids[n] for n in expected}, query
    # The SQL in the titles ran nowhere: every table is still there and still answers.
    assert (await client.get("/api/v1/users/me", headers=board.owner.headers)).status_code == 200

    # Comments, and updates, come back the same way.
    task_id = ids["html"]
    comments_url = f"/api/v1/tasks/{task_id}/comments"
    sent = {}
    for text in [*NASTY.values(), LONG_COMMENT]:
        comment = expect(
            await client.post(comments_url, json={"body": text}, headers=board.member.headers),
            201,
        )
        sent[comment["id"]] = text
    for comment_id, text in sent.items():
        assert (await get(client, board, f"/api/v1/comments/{comment_id}"))["body"] == text
    comments = await get(client, board, comments_url)
    assert {c["id"]: c["body"] for c in comments["items"]} == sent
    for name, text in NASTY.items():
        r = await client.patch(
            f"/api/v1/tasks/{task_id}",
            json={"title": text, "description": text},
            headers=board.member.headers,
        )
        assert r.status_code == 200, (name, r.text)
        fetched = await get(client, board, f"/api/v1/tasks/{task_id}")
        assert (fetched["title"], fetched["description"]) == (text, text), name


async def test_names_and_descriptions_elsewhere_round_trip(
    client: httpx.AsyncClient, board: Board
) -> None:
    for name, text in NASTY.items():
        short = text[:50].strip()
        project = expect(
            await client.patch(
                f"/api/v1/projects/{board.pid}",
                json={"name": text[:100].strip(), "description": text},
                headers=board.owner.headers,
            ),
            200,
        )
        assert project["description"] == text, name
        label = expect(
            await client.post(
                f"/api/v1/projects/{board.pid}/labels",
                json={"name": short, "color": "#123456"},
                headers=board.owner.headers,
            ),
            201,
        )
        assert label["name"] == short, name
        me = expect(
            await client.patch(
                "/api/v1/users/me", json={"name": short}, headers=board.member.headers
            ),
            200,
        )
        assert me["name"] == short, name
    labels = await get(client, board, f"/api/v1/projects/{board.pid}/labels")
    assert {lb["name"] for lb in labels["items"]} == {t[:50].strip() for t in NASTY.values()}


async def test_limits_are_counted_in_characters_not_bytes(
    client: httpx.AsyncClient, board: Board
) -> None:
    """Four-byte characters at the limit are accepted; one more is refused and stores
    nothing."""
    url = f"/api/v1/projects/{board.pid}/tasks"
    at_limit = {"title": "🚀" * 500, "description": "\U0001d49c" * 100_000}
    expect(await client.post(url, json=at_limit, headers=board.member.headers), 201)
    for over in ({"title": "🚀" * 501}, {"title": "x", "description": "\U0001d49c" * 100_001}):
        r = await client.post(url, json=over, headers=board.member.headers)
        assert r.status_code == 422, r.text
        assert "🚀🚀" not in r.text, "the refused text is echoed back"
    task_id = (await get(client, board, url))["items"][0]["id"]
    comment = {"body": "💬" * 20_001}
    r = await client.post(
        f"/api/v1/tasks/{task_id}/comments", json=comment, headers=board.member.headers
    )
    assert r.status_code == 422
    assert len((await get(client, board, url))["items"]) == 1
