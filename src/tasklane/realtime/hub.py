"""One per app process: its WebSocket connections, their subscriptions, and the stream of
committed events they receive.

Events reach the hub from the broker in batches. The hub handles them strictly in sequence
order and keeps `position`, the last sequence number it handled. Sequence numbers have no gaps,
so a batch that starts past `position + 1` means something was lost on the way (a Redis
reconnect, a process that published nothing): the hub reads the missing events from the event
log before going on. It also polls the log's head now and then, so with the broker down or
slow, events still arrive, only later.

Without Redis, several processes on one database still see each other's changes at once: the
event log is the bus. A hub learns that another process committed from the database itself
(SQLite: `PRAGMA data_version`, asked every few milliseconds; PostgreSQL: LISTEN on the channel
that recording events NOTIFYs at commit), then reads the new events from the log. Presence is
kept in the database then (`DatabasePresence`), and joins and leaves wake the hubs the same way;
each hub reads again who views the rooms its own clients are in and tells them what changed.

A new subscription with `since` is replayed from the event log while live events for it are
buffered; the buffer is then flushed without the events the replay already sent. Within one
connection each event is sent at most once, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from tasklane import metrics
from tasklane.auth.principal import Principal
from tasklane.authz.live import (
    ACCESS_EVENTS,
    PERSONAL_ACCESS_EVENTS,
    Grant,
    Scope,
    ScopeKind,
    decide_grant,
    event_visible,
    resolve_task_scope,
)
from tasklane.config import Settings
from tasklane.db import Database
from tasklane.errors import TasklaneError
from tasklane.events.service import NOTIFY_CHANNEL, read_log
from tasklane.events.types import EventType
from tasklane.kit.rawsql import DIALECTS, compile_raw
from tasklane.models import Counter, Event
from tasklane.realtime.broker import Broker, BrokerUnavailable, Wire
from tasklane.realtime.presence import (
    ENTRY_TTL_SECONDS,
    PRESENCE_CHANNEL,
    PRESENCE_COUNTER,
    DatabasePresence,
    PresenceStore,
    PresenceUnavailable,
    Viewer,
)
from tasklane.realtime.protocol import LiveEvent, Subscribe, encode, scope_fields

NOTIFICATIONS_CREATED = EventType.NOTIFICATIONS_CREATED.value

log = structlog.get_logger(__name__)

MAX_SUBSCRIPTIONS = 50
SEND_QUEUE_LIMIT = 1000
FILL_PAGE = 500
COMMIT_WATCH_SECONDS = 0.02
"""How often the hub asks SQLite whether another connection committed (see `_poll`)."""
LISTEN_RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)
"""PostgreSQL: pauses before connecting the LISTEN connection again after losing it."""
_HEAD = {dialect: compile_raw(select(func.max(Event.seq)), dialect) for dialect in DIALECTS}
_HEAD_AND_PRESENCE = {
    dialect: compile_raw(
        select(
            select(func.max(Event.seq)).scalar_subquery(),
            select(Counter.value).where(Counter.name == PRESENCE_COUNTER).scalar_subquery(),
        ),
        dialect,
    )
    for dialect in DIALECTS
}
_CATCH_UP = object()


@dataclass(eq=False)
class Subscription:
    connection: Connection
    scope: Scope
    grant: Grant
    covered_from: int = 0
    """Every event of this scope after this number has been, or is being, sent."""
    last_sent: int = 0
    buffer: list[LiveEvent] | None = None
    """Live events held back while the subscription's replay runs."""

    def accepts(self, event: LiveEvent) -> bool:
        return event.in_scope(self.scope) and event_visible(
            self.grant, type=event.type, project_id=event.project_id, entity_id=event.entity_id
        )


@dataclass(eq=False)
class Connection:
    """A WebSocket's state in the hub. Messages go out through a bounded queue that the
    endpoint drains; a client too slow to keep up overflows it and is disconnected."""

    principal: Principal
    id: str = field(default_factory=lambda: secrets.token_hex(8))
    subscriptions: dict[Scope, Subscription] = field(default_factory=dict)
    outbox: asyncio.Queue[str] = field(
        default_factory=lambda: asyncio.Queue(maxsize=SEND_QUEUE_LIMIT)
    )
    overflowed: asyncio.Event = field(default_factory=asyncio.Event)
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the server shuts down: the endpoint closes the socket with 1001."""
    follows_user: bool = False
    """Subscribed to `user`: gets the principal's `notification` messages."""

    def send(self, message: str) -> None:
        try:
            self.outbox.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed.set()

    def send_json(self, message: dict[str, Any]) -> None:
        self.send(encode(message))

    def error(self, code: str, detail: str, **fields: Any) -> None:
        self.send_json({"type": "error", "code": code, "detail": detail, **fields})

    def _covered_elsewhere(self, sub: Subscription, event: LiveEvent) -> bool:
        return any(
            other is not sub
            and other.buffer is None
            and event.seq > other.covered_from
            and other.accepts(event)
            for other in self.subscriptions.values()
        )

    def deliver(self, event: LiveEvent, subs: list[Subscription]) -> None:
        live = [s for s in subs if s.buffer is None]
        for sub in subs:
            if sub.buffer is not None:
                sub.buffer.append(event)
        if any(event.seq > s.last_sent for s in live):
            self.send(event.message)
        for sub in live:
            sub.last_sent = max(sub.last_sent, event.seq)


class Hub:
    def __init__(
        self, settings: Settings, db: Database, broker: Broker, presence: PresenceStore
    ) -> None:
        self.settings = settings
        self.db = db
        self.broker = broker
        self.presence = presence
        self.position = 0
        self.connections: set[Connection] = set()
        self._index: dict[Scope, set[Subscription]] = {}
        self._by_user: dict[UUID, set[Connection]] = {}
        self._inbox: asyncio.Queue[Any] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._grace: set[asyncio.Task[None]] = set()
        self._seen_head = 0
        self._viewers: dict[Scope, list[dict[str, str]]] = {}
        self._token = secrets.token_hex(6)
        self.live = True
        self.started = False
        # Several processes without Redis (see the module's docstring).
        self._shared_presence = isinstance(presence, DatabasePresence)
        self._listens = db.dialect == "postgresql" and not settings.redis_url
        self._notified = asyncio.Event()
        self._presence_version: int | None = None
        self._presence_lock = asyncio.Lock()
        self._presence_dirty: set[str] = set()
        self._presence_all = False
        self._presence_wake = asyncio.Event()

    # --- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        if self.db.raw.watches_commits:
            await self.db.raw.committed_elsewhere()  # the version the head below is read at
        self.position = self._seen_head = await self._head_and_presence()
        await self.broker.start(self)
        self.live = self.broker.live or not self.settings.redis_url
        self._tasks = [
            asyncio.create_task(self._run(), name="tasklane-hub"),
            asyncio.create_task(self._poll(), name="tasklane-hub-poll"),
        ]
        if self.settings.redis_url:
            self._tasks.append(asyncio.create_task(self._sweep(), name="tasklane-presence"))
        if self._shared_presence:
            self._tasks += [
                asyncio.create_task(self._keep_presence(), name="tasklane-presence"),
                asyncio.create_task(self._watch_presence(), name="tasklane-presence-watch"),
            ]
        if self._listens:
            self._tasks.append(asyncio.create_task(self._listen(), name="tasklane-hub-listen"))
        self.started = True

    async def close(self) -> None:
        for connection in self.connections:
            connection.closing.set()
        for task in [*self._tasks, *self._grace]:
            task.cancel()
        for task in [*self._tasks, *self._grace]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.broker.close()

    async def head(self) -> int:
        async with self.db.raw.connection() as raw:
            rows = await raw.fetch(_HEAD[raw.dialect], {})
        return int(rows[0][0] or 0)

    async def _head_and_presence(self) -> int:
        """The log's head; on SQLite with presence in the database, also notice whether
        someone joined or left (the presence counter moved) in the same read."""
        if not (self._shared_presence and self.db.raw.watches_commits):
            return await self.head()
        async with self.db.raw.connection() as raw:
            rows = await raw.fetch(_HEAD_AND_PRESENCE[raw.dialect], {})
        head, version = int(rows[0][0] or 0), int(rows[0][1] or 0)
        if self._presence_version is not None and version != self._presence_version:
            self._presence_changed(None)
        self._presence_version = version
        return head

    # --- broker listener ----------------------------------------------------------------------

    async def on_events(self, events: list[Wire]) -> None:
        self._inbox.put_nowait([LiveEvent.from_wire(w) for w in events])

    async def on_presence(self, message: Wire) -> None:
        try:
            scope = Scope(ScopeKind(message["kind"]), UUID(message["id"]))
        except (KeyError, ValueError, TypeError):
            return
        viewers = list(message.get("viewers", []))
        self._viewers[scope] = viewers
        body: dict[str, Any] = {"type": "presence", scope.field: str(scope.id), "viewers": viewers}
        for change in ("joined", "left"):
            if message.get(change):
                body[change] = message[change]
        text = encode(body)
        for sub in self._index.get(scope, ()):
            sub.connection.send(text)

    async def on_broker_state(self, *, live: bool) -> None:
        if not live:
            self.live = False
            self._broadcast({"type": "status", "live": False, "reason": "broker unavailable"})
        else:
            # Tell clients only once everything missed meanwhile has been read from the log.
            self._inbox.put_nowait(_CATCH_UP)

    def _broadcast(self, message: dict[str, Any]) -> None:
        text = encode(message)
        for connection in self.connections:
            connection.send(text)

    # --- the event stream ---------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            item = await self._inbox.get()
            try:
                if item is _CATCH_UP:
                    await self._fill(await self.head())
                    if not self.live and (self.broker.live or not self.settings.redis_url):
                        self.live = True
                        self._broadcast({"type": "status", "live": True})
                    continue
                for event in item:
                    if event.seq <= self.position:
                        continue  # delivered before (at-least-once publishing)
                    if event.seq > self.position + 1:
                        await self._fill(event.seq - 1)
                    await self._process(event)
            except Exception:
                # The event log is the truth: a failed read is retried by the next poll.
                log.exception("hub_event_failed")

    async def _poll(self) -> None:
        """Fallback when the broker is down or slow, or cannot reach this process (several
        processes without Redis): if the head seen at the previous poll is still ahead of us,
        read from the event log what the broker did not bring.

        On SQLite the log's head is read every `dispatch_poll_seconds`, and also as soon as
        another connection committed (`committed_elsewhere`, asked every COMMIT_WATCH_SECONDS):
        so without Redis another process's change reaches this one's clients in a few ticks.
        On PostgreSQL without Redis the LISTEN connection (`_listen`) brings the new head with
        each commit's NOTIFY; the head is still read every `dispatch_poll_seconds`, in case a
        notification was lost with its connection. On SQLite the own process's events come
        through the broker meanwhile, so catching up (one tick later) reads the log only for
        what the broker did not bring."""
        if self._listens:
            await self._poll_notified()
            return
        watch = self.db.raw.watches_commits
        tick = COMMIT_WATCH_SECONDS if watch else self.settings.dispatch_poll_seconds
        idle = 0.0
        while True:
            await asyncio.sleep(tick)
            if not self.connections:
                continue  # nobody to deliver to; a gap is filled when a batch arrives
            idle += tick
            # `attach` sets _notified: a first client after an idle spell reads the head at
            # once, whatever the file's version said while nobody was connected.
            attached = self._notified.is_set()
            self._notified.clear()
            # The file's version is asked at every tick, whatever else decides: a version
            # first taken after a commit would hide that commit until the next poll.
            changed = watch and await self.db.raw.committed_elsewhere()
            if (
                watch
                and not (changed or attached)
                and idle < self.settings.dispatch_poll_seconds
                and self._seen_head <= self.position
            ):
                continue
            idle = 0.0
            try:
                previous, self._seen_head = self._seen_head, await self._head_and_presence()
            except Exception:
                log.warning("hub_poll_failed", exc_info=True)
                continue
            if previous > self.position:
                self._inbox.put_nowait(_CATCH_UP)

    async def _poll_notified(self) -> None:
        while True:
            # asyncio.timeout, not wait_for: on Python 3.11 a cancel (shutdown) arriving as
            # wait_for times out comes out as TimeoutError, and this loop would never end.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.dispatch_poll_seconds):
                    await self._notified.wait()
            notified = self._notified.is_set()
            self._notified.clear()
            if not self.connections:
                continue  # `attach` wakes this loop again
            if not notified:
                try:
                    self._seen_head = max(self._seen_head, await self.head())
                except Exception:
                    log.warning("hub_poll_failed", exc_info=True)
                    continue
            # Notified: read at once. The commit may be this process's own, whose events its
            # broker brings too; the hub skips whichever copy comes second.
            if self._seen_head > self.position:
                self._inbox.put_nowait(_CATCH_UP)

    async def _listen(self) -> None:
        """PostgreSQL without Redis: one connection LISTENs for the NOTIFY of each commit that
        recorded events (its payload is the new head) and of each join or leave. Connected
        again when lost; meanwhile `_poll_notified` reads the head every poll interval."""
        url = make_url(self.db.settings.resolved_database_url).set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        failures = 0
        while True:
            connection: asyncpg.Connection | None = None
            try:
                connection = await asyncpg.connect(dsn, timeout=5)
                lost = asyncio.Event()
                connection.add_termination_listener(lambda _, lost=lost: lost.set())
                await connection.add_listener(NOTIFY_CHANNEL, self._on_commit_notice)
                if self._shared_presence:
                    await connection.add_listener(PRESENCE_CHANNEL, self._on_presence_notice)
                failures = 0
                # Whatever happened while not listening: read the head and the viewers.
                self._notified.set()
                self._presence_changed(None)
                await lost.wait()
                log.warning("hub_listen_lost")
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("hub_listen_failed", error=f"{type(exc).__name__}: {exc}")
            finally:
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await connection.close(timeout=2)
            await asyncio.sleep(LISTEN_RETRY_SECONDS[min(failures, len(LISTEN_RETRY_SECONDS) - 1)])
            failures += 1

    def _on_commit_notice(
        self, _connection: object, _pid: int, _channel: str, payload: str
    ) -> None:
        if payload.isdigit():
            self._seen_head = max(self._seen_head, int(payload))
        self._notified.set()

    def _on_presence_notice(
        self, _connection: object, _pid: int, _channel: str, payload: str
    ) -> None:
        self._presence_changed({payload} if payload else None)

    async def _fill(self, upto: int) -> None:
        """Handle the events after `position` up to `upto` from the event log."""
        if not self.connections:
            self.position = max(self.position, upto)
            return
        while self.position < upto:
            async with self.db.raw.connection() as raw:
                rows = await read_log(raw, after=self.position, upto=upto, limit=FILL_PAGE)
            if not rows:
                return
            for row in rows:
                await self._process(LiveEvent.from_row(row))

    async def _process(self, event: LiveEvent) -> None:
        if event.type == NOTIFICATIONS_CREATED:
            self._notify(event)
            self.position = event.seq
            return
        affected = self._affected(event)
        before = self._recipients(event) if affected else {}
        revoked = await self._recheck(affected, event) if affected else []
        recipients = self._recipients(event)
        for connection, subs in before.items():
            # The event is about a change of access: those who could see it before do too.
            current = recipients.setdefault(connection, [])
            current.extend(s for s in subs if s not in current)
        for connection, subs in recipients.items():
            connection.deliver(event, subs)
        for sub in revoked:
            sub.connection.error(
                "subscription_revoked",
                "You no longer have access to this.",
                **scope_fields(sub.scope),
            )
        self.position = event.seq

    def _notify(self, event: LiveEvent) -> None:
        """Each new notification to its recipient's connections that follow `user`."""
        for item in event.wire.get("notifications", ()):
            followers = [
                c for c in self._by_user.get(UUID(str(item["user_id"])), ()) if c.follows_user
            ]
            if not followers:
                continue
            body = {k: v for k, v in item.items() if k != "user_id"}
            text = encode({"type": "notification", "seq": event.seq, "notification": body})
            for connection in followers:
                connection.send(text)

    def follow_user(self, connection: Connection, *, on: bool) -> None:
        connection.follows_user = on
        kind = "subscribed" if on else "unsubscribed"
        connection.send_json({"type": kind, "user": True, "seq": self.position})

    def _recipients(self, event: LiveEvent) -> dict[Connection, list[Subscription]]:
        found: dict[Connection, list[Subscription]] = {}
        for scope in _scopes_of(event):
            for sub in self._index.get(scope, ()):
                if sub.accepts(event):
                    found.setdefault(sub.connection, []).append(sub)
        return found

    def _affected(self, event: LiveEvent) -> list[Connection]:
        if event.type not in ACCESS_EVENTS or event.workspace_id is None:
            return []
        if event.type in PERSONAL_ACCESS_EVENTS:
            candidates: Iterable[Connection] = self._by_user.get(event.entity_id, ())  # type: ignore[arg-type]
        else:
            candidates = self.connections
        return [
            c
            for c in candidates
            if any(s.grant.workspace_id == event.workspace_id for s in c.subscriptions.values())
        ]

    async def _recheck(self, connections: list[Connection], event: LiveEvent) -> list[Subscription]:
        """Decide again the grants of `connections` in the event's workspace; the
        subscriptions that lost access, already removed."""
        revoked: list[Subscription] = []
        async with self.db.transaction(write=False) as session:
            for connection in connections:
                for sub in list(connection.subscriptions.values()):
                    if sub.grant.workspace_id != event.workspace_id:
                        continue
                    try:
                        sub.grant = await decide_grant(session, connection.principal, sub.scope)
                    except TasklaneError:
                        await self._remove(sub, clean=True)
                        revoked.append(sub)
        return revoked

    # --- connections and subscriptions --------------------------------------------------------

    def attach(self, connection: Connection) -> None:
        self.connections.add(connection)
        metrics.WEBSOCKET_CONNECTIONS.inc()
        self._notified.set()  # catch up with what came while nobody was connected
        self._by_user.setdefault(connection.principal.user_id, set()).add(connection)
        connection.send_json(
            {
                "type": "hello",
                "user_id": str(connection.principal.user_id),
                "seq": self.position,
                "heartbeat_seconds": self.settings.heartbeat_seconds,
            }
        )
        if not self.live:
            connection.send_json({"type": "status", "live": False, "reason": "broker unavailable"})

    async def detach(self, connection: Connection, *, clean: bool) -> None:
        for sub in list(connection.subscriptions.values()):
            await self._remove(sub, clean=clean)
        if connection in self.connections:
            self.connections.discard(connection)
            metrics.WEBSOCKET_CONNECTIONS.dec()
        same_user = self._by_user.get(connection.principal.user_id)
        if same_user is not None:
            same_user.discard(connection)
            if not same_user:
                del self._by_user[connection.principal.user_id]

    async def subscribe(self, connection: Connection, message: Subscribe) -> None:
        sent_as = {message.kind.value + "_id": message.ref}
        if len(connection.subscriptions) >= MAX_SUBSCRIPTIONS:
            connection.error(
                "too_many_subscriptions",
                f"A connection may hold {MAX_SUBSCRIPTIONS} subscriptions.",
                **sent_as,
            )
            return
        try:
            async with self.db.transaction(write=False) as session:
                if message.kind is ScopeKind.TASK:
                    scope = await resolve_task_scope(
                        session, connection.principal, str(message.task_id)
                    )
                else:
                    scope = Scope(message.kind, UUID(message.ref))
                grant = await decide_grant(session, connection.principal, scope)
        except TasklaneError as exc:
            connection.error("not_found", exc.detail or "Not found.", **sent_as)
            return
        previous = connection.subscriptions.get(scope)
        if previous is not None:
            await self._remove(previous, clean=True)
        start = self.position
        sub = Subscription(connection, scope, grant, covered_from=start, last_sent=start)
        if message.since is not None:
            sub.buffer = []
        connection.subscriptions[scope] = sub
        self._index.setdefault(scope, set()).add(sub)
        fields = scope_fields(scope, grant.key)
        replayed = 0
        if message.since is not None:
            replayed = await self._replay(sub, message.since, start, fields)
        connection.send_json(
            {"type": "subscribed", **fields, "seq": self.position, "replayed": replayed}
        )
        if scope.kind is not ScopeKind.WORKSPACE:
            await self._join(connection, scope)

    async def _replay(
        self, sub: Subscription, since: int, start: int, fields: dict[str, str]
    ) -> int:
        """Send what `sub` missed after `since`, then its buffered live events."""
        connection = sub.connection
        limit = self.settings.replay_limit
        reason: str | None = None
        rows: list[Event] = []
        try:
            async with self.db.transaction(write=False) as session:
                head = int(await session.scalar(select(func.max(Event.seq))) or 0)
                if since > head:
                    reason = "since is ahead of the event log"
                else:
                    column = getattr(Event, sub.scope.field)
                    rows = list(
                        (
                            await session.scalars(
                                select(Event)
                                .where(column == sub.scope.id, Event.seq > since)
                                .order_by(Event.seq)
                                .limit(limit + 1)
                            )
                        ).all()
                    )
                    if len(rows) > limit:
                        reason = f"more than {limit} events were missed"
        except Exception:
            log.exception("replay_failed")
            reason = "the event log could not be read"
        replayed = 0
        if reason is None:
            for row in rows:
                event = LiveEvent.from_row(row)
                if sub.accepts(event) and not connection._covered_elsewhere(sub, event):
                    connection.send(event.message)
                    replayed += 1
                sub.last_sent = max(sub.last_sent, event.seq)
            sub.covered_from = since
        else:
            connection.send_json({"type": "reset", **fields, "reason": reason})
        for event in sub.buffer or ():
            if event.seq > sub.last_sent and not connection._covered_elsewhere(sub, event):
                connection.send(event.message)
            sub.last_sent = max(sub.last_sent, event.seq)
        sub.buffer = None
        return replayed

    async def unsubscribe(self, connection: Connection, kind: ScopeKind, ref: str) -> None:
        sub = next(
            (
                s
                for s in connection.subscriptions.values()
                if s.scope.kind is kind and (str(s.scope.id) == ref or s.grant.key == ref.upper())
            ),
            None,
        )
        if sub is not None:
            await self._remove(sub, clean=True)
        connection.send_json({"type": "unsubscribed", f"{kind.value}_id": ref})

    async def _remove(self, sub: Subscription, *, clean: bool) -> None:
        connection = sub.connection
        connection.subscriptions.pop(sub.scope, None)
        subs = self._index.get(sub.scope)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._index[sub.scope]
                self._viewers.pop(sub.scope, None)
        if sub.scope.kind is ScopeKind.WORKSPACE:
            return
        if clean or self.settings.presence_grace_seconds <= 0:
            await self._leave(connection, sub.scope)
        else:
            task = asyncio.create_task(self._leave_later(connection, sub.scope))
            self._grace.add(task)
            task.add_done_callback(self._grace.discard)

    # --- presence -----------------------------------------------------------------------------

    def _member(self, connection: Connection) -> str:
        return f"{self._token}:{connection.id}"

    @staticmethod
    def _room(scope: Scope) -> str:
        return f"{scope.kind}:{scope.id}"

    async def _join(self, connection: Connection, scope: Scope) -> None:
        viewer = Viewer(connection.principal.user_id, connection.principal.name)
        room = self._room(scope)
        # One presence change at a time in this process, so that re-reading the viewers for
        # another process's change never overtakes this one's announcement.
        async with self._presence_lock:
            try:
                before = await self.presence.viewers(room)
                await self.presence.add(room, self._member(connection), viewer)
                after = await self.presence.viewers(room)
            except PresenceUnavailable:
                log.warning("presence_unavailable", room=room)
                return
            joined = viewer if all(v.user_id != viewer.user_id for v in before) else None
            await self._announce(scope, after, joined=joined)

    async def _leave(self, connection: Connection, scope: Scope) -> None:
        room = self._room(scope)
        async with self._presence_lock:
            try:
                await self.presence.remove(room, self._member(connection))
                after = await self.presence.viewers(room)
            except PresenceUnavailable:
                log.warning("presence_unavailable", room=room)
                return
            user_id = connection.principal.user_id
            gone = all(v.user_id != user_id for v in after)
            left = Viewer(user_id, connection.principal.name) if gone else None
            await self._announce(scope, after, left=left)

    async def _leave_later(self, connection: Connection, scope: Scope) -> None:
        await asyncio.sleep(self.settings.presence_grace_seconds)
        await self._leave(connection, scope)

    async def _announce(
        self,
        scope: Scope,
        viewers: list[Viewer],
        *,
        joined: Viewer | None = None,
        left: Viewer | None = None,
    ) -> None:
        message: dict[str, Any] = {
            "kind": scope.kind.value,
            "id": str(scope.id),
            "viewers": [v.as_dict() for v in viewers],
        }
        if joined is not None:
            message["joined"] = joined.as_dict()
        if left is not None:
            message["left"] = left.as_dict()
        try:
            await self.broker.publish_presence(message)
        except BrokerUnavailable:
            await self.on_presence(message)  # at least this process's viewers hear of it

    async def _sweep(self) -> None:
        """Redis: keep this process's entries alive, and notice viewers whose process died."""
        while True:
            await asyncio.sleep(ENTRY_TTL_SECONDS / 3)
            for scope, subs in list(self._index.items()):
                if scope.kind is ScopeKind.WORKSPACE:
                    continue
                room = self._room(scope)
                members = {
                    self._member(s.connection): Viewer(
                        s.connection.principal.user_id, s.connection.principal.name
                    )
                    for s in subs
                }
                try:
                    await self.presence.refresh(room, members)
                    viewers = await self.presence.viewers(room)
                except PresenceUnavailable:
                    continue
                listed = [v.as_dict() for v in viewers]
                known = self._viewers.get(scope)
                if known is None or known == listed:
                    continue
                now_ids = {v["user_id"] for v in listed}
                gone = [Viewer(UUID(v["user_id"]), v["name"]) for v in known]
                gone = [v for v in gone if str(v.user_id) not in now_ids]
                if not gone:
                    await self._announce(scope, viewers)
                for viewer in gone:
                    await self._announce(scope, viewers, left=viewer)

    # --- presence shared through the database (several processes without Redis) -----------

    def _presence_changed(self, rooms: set[str] | None) -> None:
        """Someone joined or left `rooms` (None: any room) through some process."""
        if rooms is None:
            self._presence_all = True
        else:
            self._presence_dirty |= rooms
        self._presence_wake.set()

    async def _watch_presence(self) -> None:
        """Read again who views the rooms this process's clients are in, when told that the
        viewers changed, and tell the clients the difference (this process's own joins and
        leaves were told already: their re-read finds nothing new)."""
        while True:
            await self._presence_wake.wait()
            self._presence_wake.clear()
            rooms, every = self._presence_dirty, self._presence_all
            self._presence_dirty, self._presence_all = set(), False
            try:
                await self._reread_presence(None if every else rooms)
            except Exception:
                log.exception("presence_watch_failed")

    async def _reread_presence(self, rooms: set[str] | None) -> None:
        async with self._presence_lock:
            for scope in list(self._index):
                room = self._room(scope)
                if scope.kind is ScopeKind.WORKSPACE or (rooms is not None and room not in rooms):
                    continue
                try:
                    viewers = await self.presence.viewers(room)
                except PresenceUnavailable:
                    log.warning("presence_unavailable", room=room)
                    continue
                await self._tell_difference(scope, viewers)

    async def _tell_difference(self, scope: Scope, viewers: list[Viewer]) -> None:
        """Tell this process's viewers of `scope` how `viewers` differs from the last list
        they were sent: one message per user who joined or left."""
        known = self._viewers.get(scope)
        listed = [v.as_dict() for v in viewers]
        if known is None or known == listed or scope not in self._index:
            return
        before = {v["user_id"] for v in known}
        now = {v["user_id"] for v in listed}
        changes: list[dict[str, Any]] = [
            {"joined": v} for v in listed if v["user_id"] not in before
        ] + [{"left": v} for v in known if v["user_id"] not in now]
        for change in changes or [{}]:
            await self.on_presence(
                {"kind": scope.kind.value, "id": str(scope.id), "viewers": listed, **change}
            )

    async def _keep_presence(self) -> None:
        """Keep this process's entries alive, sweep away the expired ones (of a process that
        died), and notice viewers whose entries expired."""
        assert isinstance(self.presence, DatabasePresence)
        while True:
            await asyncio.sleep(ENTRY_TTL_SECONDS / 3)
            rooms: dict[str, dict[str, Viewer]] = {}
            for scope, subs in list(self._index.items()):
                if scope.kind is ScopeKind.WORKSPACE:
                    continue
                rooms[self._room(scope)] = {
                    self._member(s.connection): Viewer(
                        s.connection.principal.user_id, s.connection.principal.name
                    )
                    for s in subs
                }
            try:
                await self.presence.keep(rooms)
            except PresenceUnavailable:
                log.warning("presence_unavailable", rooms=len(rooms))
                continue
            self._presence_changed(None)


def _scopes_of(event: LiveEvent) -> list[Scope]:
    scopes = []
    if event.workspace_id is not None:
        scopes.append(Scope(ScopeKind.WORKSPACE, event.workspace_id))
    if event.project_id is not None:
        scopes.append(Scope(ScopeKind.PROJECT, event.project_id))
    if event.task_id is not None:
        scopes.append(Scope(ScopeKind.TASK, event.task_id))
    return scopes
