import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/client";
import {
  anyPending,
  explainError,
  fieldMessage,
  formatDuration,
  headerLines,
  localInputValue,
  prettyBody,
  prettyJson,
  replayWindow,
  statusLabel,
  untilText,
} from "./deliveries";

const NOW = Date.parse("2026-12-04T10:00:00Z");

function problem(status: number, code: string, errors?: { field: string; message: string }[]) {
  return new ApiError(status, {
    type: "about:blank",
    title: "Refused",
    status,
    code,
    detail: "The request was refused.",
    errors: errors?.map((e) => ({ ...e, code })),
  });
}

describe("a delivery's status and timing", () => {
  it("labels the statuses and tells when one is pending", () => {
    expect(statusLabel("delivered")).toBe("Delivered");
    expect(statusLabel("failed")).toBe("Failed");
    expect(statusLabel("queued")).toBe("queued");
    expect(anyPending([{ status: "delivered" }, { status: "pending" }])).toBe(true);
    expect(anyPending([{ status: "delivered" }, { status: "failed" }])).toBe(false);
    expect(anyPending([])).toBe(false);
  });

  it("writes durations in ms, then seconds", () => {
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(0)).toBe("0 ms");
    expect(formatDuration(85.4)).toBe("85 ms");
    expect(formatDuration(2400)).toBe("2.4 s");
    expect(formatDuration(12_345)).toBe("12 s");
  });

  it("writes the next attempt from now", () => {
    expect(untilText("2026-12-04T09:59:00Z", NOW)).toBe("now");
    expect(untilText("2026-12-04T10:00:01Z", NOW)).toBe("now");
    expect(untilText("2026-12-04T10:00:40Z", NOW)).toBe("in 40 s");
    expect(untilText("2026-12-04T10:05:00Z", NOW)).toBe("in 5 min");
    expect(untilText("2026-12-04T12:00:00Z", NOW)).toBe("in 2 h");
  });
});

describe("request and response bodies", () => {
  it("pretty-prints JSON, and leaves other bodies as they came", () => {
    expect(prettyJson({ type: "ping", data: { a: 1 } })).toBe(
      '{\n  "type": "ping",\n  "data": {\n    "a": 1\n  }\n}',
    );
    expect(prettyBody('{"ok":true}')).toBe('{\n  "ok": true\n}');
    expect(prettyBody("ok")).toBe("ok");
    expect(prettyBody("42")).toBe("42");
    expect(prettyBody("<html>nope")).toBe("<html>nope");
    expect(prettyBody(null)).toBe("");
  });

  it("lists headers by name, values as text", () => {
    expect(
      headerLines({ "webhook-id": "msg_1", "content-type": "application/json", n: 3 }),
    ).toEqual([
      ["content-type", "application/json"],
      ["n", "3"],
      ["webhook-id", "msg_1"],
    ]);
  });
});

describe("the replay window", () => {
  it("reads datetime-local values in the browser's zone", () => {
    const since = new Date(2026, 11, 3, 9, 30);
    const until = new Date(2026, 11, 4, 9, 30);
    expect(localInputValue(since)).toBe("2026-12-03T09:30");
    expect(replayWindow(localInputValue(since), localInputValue(until))).toEqual({
      since: since.toISOString(),
      until: until.toISOString(),
    });
  });

  it("refuses a missing bound, or an end not after the start", () => {
    expect(replayWindow("", "2026-12-04T09:30")).toBeNull();
    expect(replayWindow("2026-12-04T09:30", "")).toBeNull();
    expect(replayWindow("2026-12-04T09:30", "2026-12-04T09:30")).toBeNull();
    expect(replayWindow("2026-12-04T10:30", "2026-12-04T09:30")).toBeNull();
    expect(replayWindow("yesterday", "2026-12-04T09:30")).toBeNull();
  });
});

describe("refusals", () => {
  it("finds a field's message, an indexed one included", () => {
    const refused = problem(422, "validation_error", [
      { field: "event_types.1", message: "Unknown event type 'task.done'" },
    ]);
    expect(fieldMessage(refused, "event_types")).toBe("Unknown event type 'task.done'");
    expect(fieldMessage(refused, "url")).toBeNull();
    expect(fieldMessage(new Error("boom"), "url")).toBeNull();
    const url = problem(422, "webhook_url_refused", [
      { field: "url", message: "The host nowhere.invalid does not resolve." },
    ]);
    expect(fieldMessage(url, "url")).toBe("The host nowhere.invalid does not resolve.");
  });

  it("explains the limit, the role rule and a deleted webhook", () => {
    expect(explainError(problem(409, "too_many_webhooks"), "x")).toMatch(
      /as many webhooks as it may \(25\)/,
    );
    expect(explainError(problem(403, "permission_denied"), "x")).toBe(
      "Only the workspace's owners and admins manage its webhooks.",
    );
    expect(explainError(problem(404, "not_found"), "x")).toBe("This webhook no longer exists.");
    expect(explainError(problem(500, "internal"), "x")).toBe("The request was refused.");
    expect(explainError(new Error("boom"), "Not saved.")).toBe("Not saved.");
  });
});
