"""Results: one JSON document per run, and the Markdown summary made from it.

Stages add records with `Results.add(section, record)`; each record is a flat-ish dict that
names its backend. The summary is assembled from renderers registered with `@summary_section`,
in their `order`, so a new stage (the WebSocket latency run, say) adds its records under its
own section name and registers one function that turns them into Markdown lines.
"""

from __future__ import annotations

import json
import platform
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

Record = dict[str, Any]
Renderer = Callable[[list[Record], dict[str, Any]], list[str]]
"""(records of the section, the whole document) -> Markdown lines."""


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    order: int
    render: Renderer


_SECTIONS: dict[str, Section] = {}


def summary_section(key: str, title: str, *, order: int) -> Callable[[Renderer], Renderer]:
    def register(fn: Renderer) -> Renderer:
        _SECTIONS[key] = Section(key, title, order, fn)
        return fn

    return register


class Results:
    def __init__(self, profile: str, out_dir: Path, meta: dict[str, Any]) -> None:
        self.out_dir = out_dir
        self._lock = threading.RLock()
        self.started = datetime.now(UTC)
        self.doc: dict[str, Any] = {
            "profile": profile,
            "started": self.started.isoformat(timespec="seconds"),
            "meta": meta,
            "sections": {},
            "notes": [],
        }

    def add(self, section: str, record: Record) -> None:
        with self._lock:
            self.doc["sections"].setdefault(section, []).append(record)
            self.save()  # a run that stops half-way keeps what it measured

    def note(self, text: str) -> None:
        with self._lock:
            self.doc["notes"].append(text)

    def records(self, section: str) -> list[Record]:
        return list(self.doc["sections"].get(section, []))

    @property
    def json_path(self) -> Path:
        stamp = self.started.strftime("%Y%m%d-%H%M")
        return self.out_dir / f"{stamp}-{self.doc['profile']}.json"

    def save(self) -> Path:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.doc["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
        path = self.json_path
        path.write_text(json.dumps(self.doc, indent=1, sort_keys=True) + "\n")
        return path

    def write_summary(self, path: Path | None = None) -> Path:
        target = path or self.out_dir / "SUMMARY.md"
        target.write_text(render_summary(self.doc))
        return target


def render_summary(doc: dict[str, Any]) -> str:
    # The renderers live in the stage modules; importing them registers them.
    import bench.report  # noqa: F401, PLC0415

    lines = [
        f"# Tasklane benchmark: {doc['profile']} run of {doc['started'][:16].replace('T', ' ')}"
        " UTC",
        "",
    ]
    for section in sorted(_SECTIONS.values(), key=lambda s: s.order):
        records = doc["sections"].get(section.key, [])
        body = section.render(records, doc)
        if not body:
            continue
        lines += [f"## {section.title}", "", *body, ""]
    if doc.get("notes"):
        lines += ["## Notes from this run", ""]
        lines += [f"- {note}" for note in doc["notes"]]
        lines.append("")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import os  # noqa: PLC0415
    import sqlite3  # noqa: PLC0415

    import psutil  # noqa: PLC0415

    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "kernel": platform.release(),
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
