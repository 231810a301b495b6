// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../../api/client";
import { attachment } from "./testdata";
import { describeUploadError, isOwnOrigin, postForm, retryable, uploadTo } from "./transfer";

/** An XMLHttpRequest the test answers by hand. */
class FakeXhr {
  static made: FakeXhr[] = [];
  method = "";
  url = "";
  headers: Record<string, string> = {};
  body: FormData | null = null;
  withCredentials = true;
  status = 0;
  statusText = "";
  responseText = "";
  aborted = false;
  upload: { onprogress?: (e: Partial<ProgressEvent>) => void; onload?: () => void } = {};
  onload?: () => void;
  onerror?: () => void;
  onabort?: () => void;

  constructor() {
    FakeXhr.made.push(this);
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  send(body: FormData) {
    this.body = body;
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  answer(status: number, body = "") {
    this.upload.onload?.();
    this.status = status;
    this.responseText = body;
    this.onload?.();
  }
}

const ORIGIN = window.location.origin;
const file = () => new File(["0123456789"], "shot.png", { type: "image/png" });
const progress = () => ({
  signal: new AbortController().signal,
  onProgress: vi.fn<(loaded: number) => void>(),
  onSent: vi.fn<() => void>(),
});

beforeEach(() => {
  FakeXhr.made = [];
  vi.stubGlobal("XMLHttpRequest", FakeXhr);
  // The server sets this cookie for real; the client only reads it.
  // biome-ignore lint/suspicious/noDocumentCookie: a test sets what the server would
  document.cookie = "tasklane_csrf=token-123";
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe("isOwnOrigin", () => {
  it("knows this app's links from a storage's", () => {
    expect(isOwnOrigin("/api/v1/files/uploads/1?x=1", "https://tl.example")).toBe(true);
    expect(isOwnOrigin("https://tl.example/api/v1/files/uploads/1", "https://tl.example")).toBe(
      true,
    );
    expect(isOwnOrigin("https://bucket.s3.amazonaws.com/", "https://tl.example")).toBe(false);
    expect(isOwnOrigin("http://tl.example/", "https://tl.example")).toBe(false);
  });
});

describe("postForm", () => {
  it("sends the link's fields, then the file; the CSRF token to this app only", async () => {
    const p = progress();
    const sent = postForm("/api/v1/files/uploads/1", { key: "a/1", policy: "p" }, file(), p);
    const xhr = FakeXhr.made[0] as FakeXhr;
    expect(xhr.method).toBe("POST");
    expect(xhr.headers["X-CSRF-Token"]).toBe("token-123");
    expect([...(xhr.body as FormData).keys()]).toEqual(["key", "policy", "file"]);
    xhr.upload.onprogress?.({ lengthComputable: true, loaded: 60, total: 120 });
    expect(p.onProgress).toHaveBeenLastCalledWith(5);
    xhr.answer(204);
    await sent;
    expect(p.onSent).toHaveBeenCalled();
  });

  it("sends no CSRF token and no cookies to a storage elsewhere", async () => {
    const sent = postForm("https://bucket.s3.example.com/", { key: "a/1" }, file(), progress());
    const xhr = FakeXhr.made[0] as FakeXhr;
    expect(xhr.headers).toEqual({});
    expect(xhr.withCredentials).toBe(false);
    xhr.answer(204);
    await sent;
  });

  it("turns this app's problem answer into an ApiError", async () => {
    const sent = postForm("/api/v1/files/uploads/1", {}, file(), progress());
    (FakeXhr.made[0] as FakeXhr).answer(
      413,
      JSON.stringify({
        type: "about:blank",
        title: "Payload Too Large",
        status: 413,
        code: "storage_quota_exceeded",
        detail: "The workspace's storage is full (10 of 10 bytes used).",
      }),
    );
    const error = await sent.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(describeUploadError(error)).toMatch(/^The workspace's storage is full \(10 bytes/);
    // The same file would be refused again.
    expect(retryable(error)).toBe(false);
  });

  it("does not read a storage's own error document", async () => {
    const sent = postForm("https://bucket.s3.example.com/", {}, file(), progress());
    (FakeXhr.made[0] as FakeXhr).answer(400, "<Error><Code>EntityTooLarge</Code></Error>");
    const error = (await sent.catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(400);
    expect(error.code).toBe("http_error");
  });

  it("stops when the signal aborts", async () => {
    const controller = new AbortController();
    const sent = postForm("/x", {}, file(), { ...progress(), signal: controller.signal });
    controller.abort();
    expect((FakeXhr.made[0] as FakeXhr).aborted).toBe(true);
    expect(describeUploadError(await sent.catch((e: unknown) => e))).toBe("Cancelled.");
  });

  it("reports a connection that failed as status 0", async () => {
    const sent = postForm("/x", {}, file(), progress());
    (FakeXhr.made[0] as FakeXhr).onerror?.();
    const error = (await sent.catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(0);
    expect(describeUploadError(error)).toMatch(/cannot be reached/);
    expect(retryable(error)).toBe(true);
  });
});

describe("uploadTo", () => {
  function api(link: { url: string; fields: Record<string, string> }) {
    const calls: Array<{ url: string; body: unknown; csrf: string | null }> = [];
    vi.stubGlobal("fetch", async (request: Request) => {
      const text = await request.text();
      calls.push({
        url: new URL(request.url).pathname,
        body: text ? JSON.parse(text) : null,
        csrf: request.headers.get("X-CSRF-Token"),
      });
      const json = new URL(request.url).pathname.endsWith("/uploads")
        ? { upload_id: "up-1", method: "POST", expires_at: "2026-12-01T10:05:00Z", ...link }
        : attachment();
      return new Response(JSON.stringify(json), {
        status: 201,
        headers: { "content-type": "application/json" },
      });
    });
    return calls;
  }

  it("asks for a link, posts the file to it, then completes the upload", async () => {
    const calls = api({ url: `${ORIGIN}/api/v1/files/uploads/up-1?s=1`, fields: {} });
    const done = uploadTo("task-1")(file(), progress());
    await vi.waitFor(() => expect(FakeXhr.made).toHaveLength(1));
    expect(calls[0]).toEqual({
      url: "/api/v1/tasks/task-1/attachments/uploads",
      body: { filename: "shot.png", content_type: "image/png", size: 10 },
      csrf: "token-123",
    });
    (FakeXhr.made[0] as FakeXhr).answer(204);
    const attachment = await done;
    expect(attachment.filename).toBe("shot.png");
    expect(calls[1]).toEqual({
      url: "/api/v1/tasks/task-1/attachments",
      body: { upload_id: "up-1" },
      csrf: "token-123",
    });
  });

  it("goes through the app when a storage elsewhere cannot be reached", async () => {
    api({ url: "https://bucket.s3.example.com/", fields: { key: "a/up-1" } });
    const done = uploadTo("task-1")(file(), progress());
    await vi.waitFor(() => expect(FakeXhr.made).toHaveLength(1));
    (FakeXhr.made[0] as FakeXhr).onerror?.();
    await vi.waitFor(() => expect(FakeXhr.made).toHaveLength(2));
    const second = FakeXhr.made[1] as FakeXhr;
    expect(second.url).toBe("/api/v1/tasks/task-1/attachments");
    expect([...(second.body as FormData).keys()]).toEqual(["file"]);
    second.answer(201, JSON.stringify(attachment()));
    expect((await done).id).toBe("a1");
  });
});
