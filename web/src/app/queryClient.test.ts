import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import { MAX_RETRIES, retryDelay, shouldRetry } from "./queryClient";

const problem = (status: number) =>
  new ApiError(status, { type: "about:blank", title: "x", status, code: "x" });

describe("shouldRetry", () => {
  it.each([400, 401, 403, 404, 409, 412, 422, 429])("never retries a %i", (status) => {
    expect(shouldRetry(0, problem(status))).toBe(false);
  });

  it("retries a 5xx or a network error a bounded number of times", () => {
    for (const error of [problem(500), problem(503), problem(0), new TypeError("fetch")]) {
      expect(shouldRetry(0, error)).toBe(true);
      expect(shouldRetry(MAX_RETRIES - 1, error)).toBe(true);
      expect(shouldRetry(MAX_RETRIES, error)).toBe(false);
    }
  });

  it("backs off, up to a ceiling", () => {
    expect(retryDelay(0)).toBeLessThan(retryDelay(1));
    expect(retryDelay(1)).toBeLessThan(retryDelay(2));
    expect(retryDelay(20)).toBe(10_000);
  });
});
