"""What a file is, decided by its first bytes (never by what the client said), and how its
name is kept."""

from __future__ import annotations

import unicodedata

import puremagic

SNIFF_BYTES = 4096
"""How much of the start of a file the type is read from."""
MAX_FILENAME = 255

INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
"""Shown in the browser (as an image, never as a page); everything else is a download,
SVG and HTML included (they can carry script)."""
THUMBNAIL_TYPES = INLINE_TYPES

OCTET_STREAM = "application/octet-stream"


def sniff(head: bytes, filename: str) -> str:
    """The content type of a file that starts with `head`. The name only breaks ties between
    formats that look alike inside (a .docx and a .zip)."""
    if not head:
        return "text/plain"
    try:
        found = puremagic.from_string(head, mime=True, filename=filename)
    except (puremagic.PureError, ValueError):
        found = ""
    if found:
        return str(found).lower()
    return "text/plain" if _is_text(head) else OCTET_STREAM


def _is_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The sample may end inside a character: text if only its last few bytes are cut.
        if exc.start < len(head) - 3:
            return False
        text = head[: exc.start].decode("utf-8")
    return all(c.isprintable() or c in "\t\n\r\f" for c in text)


def inline(content_type: str) -> bool:
    return content_type in INLINE_TYPES


def clean_filename(given: str) -> str:
    """The name shown for a file: as given, without path separators or control characters,
    at most MAX_FILENAME characters (the extension kept)."""
    name = unicodedata.normalize("NFC", given)
    name = name.replace("/", "_").replace("\\", "_")
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Zl"))
    name = name.strip().strip(".") or "file"
    if len(name) > MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[: MAX_FILENAME - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_FILENAME]
    return name
