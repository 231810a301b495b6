"""GET /search: full-text search over tasks and comments across a workspace's projects.

Each test builds a small corpus and asks several questions of it: the setup is the dear part."""

from __future__ import annotations

from typing import Any

import httpx

from tasklane.search.service import CANDIDATES_EXTRA, CANDIDATES_PER_ROW
from tests.factories import (
    Board,
    User,
    expect,
    make_project,
    make_task,
    make_user,
)
from tests.projects.helpers import join


async def _search(
    client: httpx.AsyncClient, board: Board, user: User, q: str, **params: Any
) -> dict[str, Any]:
    return dict(
        expect(
            await client.get(
                "/api/v1/search",
                params={"q": q, "workspace_id": board.workspace["id"], **params},
                headers=user.headers,
            ),
            200,
        )
    )


async def _found(client: httpx.AsyncClient, board: Board, user: User, q: str) -> list[str]:
    """The hits as `KEY-N` (a task) or `KEY-N#comment` (one of its comments), best first."""
    body = await _search(client, board, user, q)
    return [h["task_key"] + ("" if h["kind"] == "task" else "#comment") for h in body["items"]]


def _marked(hit: dict[str, Any]) -> list[str]:
    return [s["text"] for s in hit["snippet"] if s["match"]]


async def _comment(client: httpx.AsyncClient, user: User, task_id: str, body: str) -> Any:
    return expect(
        await client.post(
            f"/api/v1/tasks/{task_id}/comments", json={"body": body}, headers=user.headers
        ),
        201,
    )


class TestAccess:
    async def test_anonymous_outsider_and_unseen_projects(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        ops = await make_project(client, board.owner, board.workspace["id"], key="OPS")
        eng_task = await make_task(client, board.member, board.pid, title="Rollout of kiwi")
        ops_task = await make_task(client, board.owner, ops["id"], title="Rollout of mango")
        await _comment(client, board.owner, ops_task["id"], "kiwi mentioned in OPS")
        params = {"q": "rollout", "workspace_id": board.workspace["id"]}

        r = await client.get("/api/v1/search", params=params)
        assert r.status_code == 401

        outsider = await make_user(client)
        r = await client.get("/api/v1/search", params=params, headers=outsider.headers)
        assert r.status_code == 404
        assert "Rollout" not in r.text

        # A guest who is a member of ENG only: OPS's task and its comment are never returned.
        guest = await join(client, board, workspace_role="guest", project_role="member")
        assert await _found(client, board, guest, "rollout") == ["ENG-1"]
        assert await _found(client, board, guest, "kiwi") == ["ENG-1"]
        assert await _found(client, board, guest, "mango") == []
        assert await _found(client, board, guest, "OPS-1") == []
        # A workspace member sees both projects.
        assert sorted(await _found(client, board, board.member, "kiwi")) == [
            "ENG-1",
            "OPS-1#comment",
        ]

        # Another workspace of the same member: nothing of this one shows there.
        other = expect(
            await client.post(
                "/api/v1/workspaces", json={"name": "Elsewhere"}, headers=board.member.headers
            ),
            201,
        )
        body = expect(
            await client.get(
                "/api/v1/search",
                params={"q": "kiwi", "workspace_id": other["id"]},
                headers=board.member.headers,
            ),
            200,
        )
        assert body == {"items": [], "next_cursor": None}
        assert eng_task["key"] == "ENG-1"


class TestMatching:
    async def test_words_in_titles_descriptions_and_comments(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        login = await make_task(
            client,
            board.member,
            board.pid,
            title="Sign-in page is slow",
            description="Users wait on the spinner.",
        )
        await _comment(client, board.owner, login["id"], "I saw a login timeout after 30 s.")
        await make_task(client, board.member, board.pid, title="Login timeout on mobile")
        await make_task(
            client,
            board.member,
            board.pid,
            title="Unrelated",
            description="Something about a login, and later a timeout.",
        )

        # The title match ranks above the description and the comment.
        hits = (await _search(client, board, board.member, "login timeout"))["items"]
        assert (hits[0]["task_key"], hits[0]["kind"]) == ("ENG-2", "task")
        assert {(h["task_key"], h["kind"]) for h in hits} == {
            ("ENG-2", "task"),
            ("ENG-3", "task"),
            ("ENG-1", "comment"),
        }
        comment_hit = next(h for h in hits if h["kind"] == "comment")
        assert comment_hit["comment_id"] is not None
        assert comment_hit["title"] == "Sign-in page is slow"
        assert [w.lower() for w in _marked(comment_hit)] == ["login", "timeout"]
        assert "".join(s["text"] for s in comment_hit["snippet"]).startswith("I saw a login")
        assert all(h["score"] > 0 for h in hits)

        # A phrase needs the words together; OR takes either; `-` leaves out.
        assert await _found(client, board, board.member, '"login timeout"') == [
            "ENG-2",
            "ENG-1#comment",
        ]
        assert sorted(await _found(client, board, board.member, "spinner OR mobile")) == [
            "ENG-1",
            "ENG-2",
        ]
        assert sorted(await _found(client, board, board.member, "login -mobile")) == [
            "ENG-1#comment",
            "ENG-3",
        ]
        # The word being typed matches as a prefix; once a space follows, whole words only.
        assert sorted(await _found(client, board, board.member, "spin")) == ["ENG-1"]
        # A longer prefix is marked in the snippet by the words it stands for.
        typed = (await _search(client, board, board.member, "spinn"))["items"]
        assert [w.lower() for w in _marked(typed[0])] == ["spinner"]
        assert await _found(client, board, board.member, "spin ") == []
        # Case, accents and punctuation do not matter.
        assert await _found(client, board, board.member, "SIGN IN") == ["ENG-1"]
        # The task's key as the whole query comes first, with no score.
        body = await _search(client, board, board.member, "eng-1")
        assert body["items"][0]["task_key"] == "ENG-1"
        assert body["items"][0]["score"] is None

    async def test_titles_holding_every_word_come_first_and_pages_cross_the_tiers(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        """The ranking's two tiers (queries.hits_statement): a title holding every word beats
        any description or comment, however often they say it; paging reads the first tier
        alone while it fills the page, then every match, in one order without gaps."""
        filler = " ".join(f"word{n}" for n in range(300))
        titled = [
            await make_task(
                client,
                board.member,
                board.pid,
                title=f"Dingo sightings report number {n} for the whole region",
                description=filler,
            )
            for n in range(3)
        ]
        # Said fifty times in a short text: ranked above the titles by the score alone.
        loud = await make_task(
            client, board.member, board.pid, title="Loud", description="dingo " * 50
        )
        quiet = await make_task(
            client, board.member, board.pid, title="Quiet", description="one dingo"
        )
        await _comment(client, board.owner, quiet["id"], "dingo dingo dingo")
        # Every word in the title, and in the description a word left out below.
        fence = await make_task(
            client,
            board.member,
            board.pid,
            title="Dingo fence",
            description="On the mobile app.",
        )

        everything = (await _search(client, board, board.member, "dingo"))["items"]
        keys = [h["task_key"] + ("#comment" if h["kind"] == "comment" else "") for h in everything]
        assert sorted(keys[:4]) == sorted([t["key"] for t in titled] + [fence["key"]])
        assert sorted(keys[4:]) == sorted([loud["key"], quiet["key"], quiet["key"] + "#comment"])
        without = await _found(client, board, board.member, "dingo -mobile")
        assert without == [k for k in keys if k != fence["key"]]

        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            body = await _search(client, board, board.member, "dingo", **params)
            seen += [
                h["task_key"] + ("#comment" if h["kind"] == "comment" else "")
                for h in body["items"]
            ]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert seen == keys

    async def test_unicode_urls_and_addresses(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        await make_task(client, board.member, board.pid, title="Élan vital in Zürich")
        await make_task(
            client,
            board.member,
            board.pid,
            title="Broken link",
            description="See https://status.example.io/incidents/v1.5 and ask ops@corp.example",
        )
        await make_task(client, board.member, board.pid, title="東京 office move")
        await make_task(client, board.member, board.pid, title="Ship build-42 to c03-00012")
        assert await _found(client, board, board.member, "elan zurich") == ["ENG-1"]
        assert await _found(client, board, board.member, "ÉLAN") == ["ENG-1"]
        assert await _found(client, board, board.member, "incidents") == ["ENG-2"]
        assert await _found(client, board, board.member, "corp") == ["ENG-2"]
        assert await _found(client, board, board.member, "ops@corp.example") == ["ENG-2"]
        assert await _found(client, board, board.member, "東京") == ["ENG-3"]
        assert await _found(client, board, board.member, "build-42 00012") == ["ENG-4"]
        assert await _found(client, board, board.member, '"c03-00012"') == ["ENG-4"]


class TestIndexFollowsWrites:
    async def test_a_task_is_found_by_its_files_names(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        task = await make_task(client, board.member, board.pid, title="Release checklist")
        other = await make_task(client, board.member, board.pid, title="Unrelated")
        files = []
        for name in ("Quarterly-Report_2026.pdf", "crash-dump.txt"):
            files.append(
                expect(
                    await client.post(
                        f"/api/v1/tasks/{task['id']}/attachments",
                        files={"file": (name, b"some text")},
                        headers=board.member.headers,
                    ),
                    201,
                )
            )
        assert await _found(client, board, board.member, "quarterly") == [task["key"]]
        hit = (await _search(client, board, board.member, "crash dump"))["items"][0]
        assert hit["kind"] == "task"
        assert "crash-dump.txt" in "".join(s["text"] for s in hit["snippet"])
        # Lists take it too (the filter box's words).
        listed = expect(
            await client.get(
                f"/api/v1/projects/{board.pid}/tasks",
                params={"q": "quarterly"},
                headers=board.member.headers,
            ),
            200,
        )
        assert [t["key"] for t in listed["items"]] == [task["key"]]
        expect(
            await client.delete(
                f"/api/v1/attachments/{files[0]['id']}", headers=board.member.headers
            ),
            204,
        )
        assert await _found(client, board, board.member, "quarterly") == []
        assert await _found(client, board, board.member, "dump") == [task["key"]]
        assert other["key"] not in await _found(client, board, board.member, "dump")

    async def test_edits_deletes_and_the_trash(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        task = await make_task(client, board.member, board.pid, title="Draft quokka plan")
        comment = await _comment(client, board.member, task["id"], "wombat sighting")
        assert await _found(client, board, board.member, "quokka") == ["ENG-1"]

        expect(
            await client.patch(
                f"/api/v1/tasks/{task['id']}",
                json={"title": "Final numbat plan"},
                headers=board.member.headers,
            ),
            200,
        )
        assert await _found(client, board, board.member, "quokka") == []
        assert await _found(client, board, board.member, "numbat") == ["ENG-1"]

        expect(
            await client.patch(
                f"/api/v1/comments/{comment['id']}",
                json={"body": "platypus sighting"},
                headers=board.member.headers,
            ),
            200,
        )
        assert await _found(client, board, board.member, "wombat") == []
        assert await _found(client, board, board.member, "platypus") == ["ENG-1#comment"]

        expect(
            await client.delete(f"/api/v1/comments/{comment['id']}", headers=board.member.headers),
            204,
        )
        assert await _found(client, board, board.member, "platypus") == []

        await _comment(client, board.member, task["id"], "echidna")
        expect(
            await client.delete(f"/api/v1/tasks/{task['id']}", headers=board.member.headers), 204
        )
        assert await _found(client, board, board.member, "numbat") == []
        assert await _found(client, board, board.member, "echidna") == []
        expect(
            await client.post(f"/api/v1/tasks/{task['id']}/restore", headers=board.member.headers),
            200,
        )
        assert await _found(client, board, board.member, "numbat echidna") == []
        assert await _found(client, board, board.member, "echidna") == ["ENG-1#comment"]


class TestPaging:
    async def test_pages_follow_one_another(self, client: httpx.AsyncClient, board: Board) -> None:
        for n in range(5):
            await make_task(client, board.member, board.pid, title=f"Gecko number {n}")
        seen: list[str] = []
        cursor = None
        for _ in range(5):
            params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            body = await _search(client, board, board.member, "gecko", **params)
            seen += [h["task_key"] for h in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == [f"ENG-{n}" for n in range(1, 6)]

    async def test_a_word_common_elsewhere_still_finds_the_workspaces_own_matches(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        """More matches than SQLite's first look-up takes (service.CANDIDATES_*), all better
        ranked and all in another workspace: the workspace's own matches still come, in order,
        page after page."""
        other = await make_user(client)
        theirs = expect(
            await client.post("/api/v1/workspaces", json={"name": "Theirs"}, headers=other.headers),
            201,
        )
        project = await make_project(client, other, theirs["id"], key="OTH")
        for n in range(CANDIDATES_PER_ROW * 2 + CANDIDATES_EXTRA + 5):
            await make_task(client, other, project["id"], title=f"Wombat wombat {n}")
        mine = [
            await make_task(client, board.member, board.pid, title=f"Wombat seen {n}")
            for n in range(2)
        ]
        await make_task(client, board.member, board.pid, title="Quiet", description="a wombat")
        first = await _search(client, board, board.member, "wombat", limit=1)
        second = await _search(
            client, board, board.member, "wombat", limit=1, cursor=first["next_cursor"]
        )
        everything = await _search(client, board, board.member, "wombat")
        keys = [h["task_key"] for h in everything["items"]]
        assert sorted(keys[:2]) == sorted(t["key"] for t in mine)
        assert len(keys) == 3
        assert [h["task_key"] for h in first["items"] + second["items"]] == keys[:2]


class TestBadInput:
    async def test_refused_with_a_problem(self, client: httpx.AsyncClient, board: Board) -> None:
        ws = board.workspace["id"]
        cases: dict[str, dict[str, Any]] = {
            "punctuation only": {"q": "?!… --", "workspace_id": ws},
            "only left out": {"q": "-login -timeout", "workspace_id": ws},
            "too many words": {"q": " ".join(f"w{i}" for i in range(40)), "workspace_id": ws},
            "too long": {"q": "x" * 201, "workspace_id": ws},
            "no workspace": {"q": "login"},
            "bad workspace": {"q": "login", "workspace_id": "nope"},
            "bad cursor": {"q": "login", "workspace_id": ws, "cursor": "abc.def"},
            "limit too big": {"q": "login", "workspace_id": ws, "limit": 51},
        }
        for case, params in cases.items():
            r = await client.get("/api/v1/search", params=params, headers=board.member.headers)
            assert r.status_code == 422, (case, r.status_code, r.text)
            assert r.headers["content-type"] == "application/problem+json", case
