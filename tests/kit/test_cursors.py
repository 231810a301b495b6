"""Pagination cursors: signed by the server, and validated like any other input.

A cursor is `payload.tag`: the payload the page's sort values as JSON (base64url), the tag a
truncated HMAC-SHA256 of the list's name and the payload. Anything else is a 422 naming
`cursor`, whatever its shape."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest

from tasklane.errors import ValidationFailed
from tasklane.kit import keyset
from tasklane.kit.pagination import (
    cursor_key,
    decode_cursor,
    encode_cursor,
    open_cursor,
    seal_cursor,
    sign_cursor,
    signing_cursors,
)
from tasklane.models import Event, Status, Task

KEY = cursor_key("unit-test-secret-that-is-long-enough-0123456789")
OTHER_KEY = cursor_key("another-secret-that-is-long-enough-0123456789")
ID = "0190d3c4-5b6a-7c8d-9e0f-1a2b3c4d5e6f"

# One ordering of each kind of column: BIGINT, INTEGER, SMALLINT, VARCHAR(64), datetime, date.
SEQ = [keyset.SortColumn(Event.seq, False, keyset.as_int)]
POSITION = [
    keyset.SortColumn(Status.position, False, keyset.as_int),
    keyset.SortColumn(Task.position, False, keyset.as_str),
    keyset.SortColumn(Task.id, False, keyset.as_uuid),
]
PRIORITY = [
    keyset.SortColumn(Task.priority, True, keyset.as_int),
    keyset.SortColumn(Task.id, False, keyset.as_uuid),
]
CREATED = [
    keyset.SortColumn(Task.created_at, False, keyset.as_datetime),
    keyset.SortColumn(Task.id, False, keyset.as_uuid),
]
DUE = [
    keyset.SortColumn(Task.due_date, False, keyset.as_date),
    keyset.SortColumn(Task.id, False, keyset.as_uuid),
]


def read(cursor: str, columns: list[keyset.SortColumn], scope: str = "list") -> list[Any]:
    """What a list does with a cursor: open it, then type and bound its values."""
    raw = open_cursor(cursor, scope=scope, key=KEY, size=len(columns))
    return keyset.parse_values(columns, raw)


def refused(call: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        call()
    assert caught.value.status == 422
    assert caught.value.errors is not None
    assert [e.field for e in caught.value.errors] == ["cursor"]


def raw_cursor(payload: bytes, scope: str = "list", key: bytes = KEY) -> str:
    """A correctly signed cursor around any bytes (as if the key had leaked)."""
    return seal_cursor(payload, scope=scope, key=key)


class TestRoundTrip:
    def test_values_come_back_typed(self) -> None:
        when = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
        cursor = sign_cursor([when.isoformat(), ID], scope="list", key=KEY)
        assert read(cursor, CREATED) == [when, UUID(ID)]

    def test_every_kind_of_column(self) -> None:
        cases: list[tuple[list[keyset.SortColumn], list[Any], list[Any]]] = [
            (SEQ, [2**63 - 1], [2**63 - 1]),
            (POSITION, [2**31 - 1, "a0V", ID], [2**31 - 1, "a0V", UUID(ID)]),
            (PRIORITY, [4, ID], [4, UUID(ID)]),
            (DUE, ["9999-12-31", ID], [date(9999, 12, 31), UUID(ID)]),
        ]
        for columns, values, expected in cases:
            assert read(sign_cursor(values, scope="list", key=KEY), columns) == expected

    def test_a_datetime_with_an_offset_is_read_in_utc(self) -> None:
        plus_two = datetime(2026, 3, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
        (when, _) = read(sign_cursor([plus_two.isoformat(), ID], scope="list", key=KEY), CREATED)
        assert when == plus_two
        assert when.utcoffset() == timedelta(0)

    def test_a_cursor_is_url_safe_and_short(self) -> None:
        cursor = sign_cursor([2**31 - 1, "a" * 64, ID], scope="list", key=KEY)
        assert set(cursor) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
        )
        assert len(cursor) < 200

    def test_encode_and_decode_use_the_key_in_force(self) -> None:
        with signing_cursors(KEY):
            cursor = encode_cursor([7], scope="list")
            assert decode_cursor(cursor, scope="list", size=1) == [7]
        assert open_cursor(cursor, scope="list", key=KEY, size=1) == [7]
        with signing_cursors(OTHER_KEY):
            refused(lambda: decode_cursor(cursor, scope="list", size=1))

    def test_without_a_key_encoding_is_a_programming_error(self) -> None:
        with pytest.raises(RuntimeError):
            encode_cursor([7], scope="list")


class TestSignature:
    def test_another_key_is_refused(self) -> None:
        cursor = sign_cursor([1], scope="list", key=OTHER_KEY)
        refused(lambda: read(cursor, SEQ))

    def test_another_list_is_refused(self) -> None:
        cursor = sign_cursor([1], scope="activity", key=KEY)
        refused(lambda: read(cursor, SEQ, scope="comments"))

    def test_a_changed_payload_is_refused(self) -> None:
        cursor = sign_cursor([1], scope="list", key=KEY)
        payload, tag = cursor.split(".")
        forged = base64.urlsafe_b64encode(b"[2]").decode().rstrip("=")
        refused(lambda: read(f"{forged}.{tag}", SEQ))
        flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
        refused(lambda: read(f"{flipped}.{tag}", SEQ))

    def test_a_changed_tag_is_refused(self) -> None:
        cursor = sign_cursor([1], scope="list", key=KEY)
        flipped = cursor[:-1] + ("A" if cursor[-1] != "A" else "B")
        refused(lambda: read(flipped, SEQ))

    @pytest.mark.parametrize(
        "cursor",
        [
            "",
            ".",
            "WzFd",  # the old unsigned form of [1]
            "WzFd.",
            ".AAAAAAAAAAAAAAAA",
            "WzFd.AAAAAAAAAAAAAAAA",
            "WzFd.AAAAAAAAAAAAAAAA.AAAA",
            "WzFd.AAAA",
            "Wz Fd.AAAAAAAAAAAAAAAA",
            "WzFd.AAAAAAAAAAAAAAA\x00",
            "WzFd.AAAAAAAAAAAAAAA\u00e9",
            "WzFd.AAAAAAAAAAAAAAA\ud800",
            "garbage!",
        ],
    )
    def test_malformed_is_refused(self, cursor: str) -> None:
        refused(lambda: read(cursor, SEQ))


# Signed payloads of every shape a forger could send: the signature is not what keeps them
# out, the validation is (a leaked or rotated key must not turn into 500s).
FORGED_PAYLOADS: list[tuple[list[keyset.SortColumn], bytes]] = [
    (SEQ, b"[" + str(2**63).encode() + b"]"),
    (SEQ, b"[" + str(-(2**63) - 1).encode() + b"]"),
    (SEQ, b"[" + b"9" * 30 + b"]"),
    (SEQ, b"[" + b"9" * 5000 + b"]"),  # past Python's int-from-string limit
    (SEQ, b"[1e999]"),
    (SEQ, b"[1.5]"),
    (SEQ, b"[NaN]"),
    (SEQ, b"[-Infinity]"),
    (SEQ, b"[true]"),
    (SEQ, b"[null]"),
    (SEQ, b'["1"]'),
    (SEQ, b'[{"a": 1}]'),
    (SEQ, b"[[1]]"),
    (SEQ, b"[" * 100_000 + b"]" * 100_000),  # nesting deeper than the parser's recursion
    (SEQ, b"{}"),
    (SEQ, b'"[1]"'),
    (SEQ, b"1"),
    (SEQ, b"[]"),
    (SEQ, b"[1, 2]"),
    (SEQ, b"[1,"),
    (SEQ, b"\xff\xfe[1]"),
    (SEQ, b""),
    (POSITION, b'[2147483648, "a0", "' + ID.encode() + b'"]'),
    (POSITION, b'[-2147483649, "a0", "' + ID.encode() + b'"]'),
    (POSITION, b'[0, "' + b"a" * 65 + b'", "' + ID.encode() + b'"]'),
    (POSITION, b'[0, "a\\u0000b", "' + ID.encode() + b'"]'),
    (POSITION, b'[0, "a\\ud800", "' + ID.encode() + b'"]'),
    (POSITION, b'[0, "a\\udfff", "' + ID.encode() + b'"]'),
    (POSITION, b'[0, {"$gt": ""}, "' + ID.encode() + b'"]'),
    (POSITION, b'[0, "a0", "not-a-uuid"]'),
    (POSITION, b'[0, "a0", "\\ud800"]'),
    (POSITION, b'[0, "a0", 1]'),
    (PRIORITY, b'[32768, "' + ID.encode() + b'"]'),
    (PRIORITY, b'[-32769, "' + ID.encode() + b'"]'),
    (CREATED, b'["0001-01-01T00:00:00+05:00", "' + ID.encode() + b'"]'),
    (CREATED, b'["9999-12-31T23:59:59-05:00", "' + ID.encode() + b'"]'),
    (CREATED, b'["2026-03-01T12:00:00", "' + ID.encode() + b'"]'),  # no zone
    (CREATED, b'["2026-03-01T12:00:00+00:00\\u0000", "' + ID.encode() + b'"]'),
    (CREATED, b'["yesterday", "' + ID.encode() + b'"]'),
    (CREATED, b'[1700000000, "' + ID.encode() + b'"]'),
    (DUE, b'["10000-01-01", "' + ID.encode() + b'"]'),
    (DUE, b'["2026-02-30", "' + ID.encode() + b'"]'),
    (DUE, b'[20260101, "' + ID.encode() + b'"]'),
]


@pytest.mark.parametrize(("columns", "payload"), FORGED_PAYLOADS)
def test_a_forged_payload_is_refused(columns: list[keyset.SortColumn], payload: bytes) -> None:
    refused(lambda: read(raw_cursor(payload), columns))


def test_the_forged_payloads_are_well_signed() -> None:
    """The forged cursors above fail on their content, not their tag."""
    good = json.dumps([1]).encode()
    assert read(raw_cursor(good), SEQ) == [1]
