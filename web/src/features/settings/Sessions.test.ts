import { describe, expect, it } from "vitest";
import { describeAgent } from "./Sessions";

describe("describeAgent", () => {
  it("names the browser and the system", () => {
    const chrome =
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    expect(describeAgent(chrome)).toBe("Chrome on Linux");
    const safari =
      "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
    expect(describeAgent(safari)).toBe("Safari on iOS");
  });

  it("keeps a script's own name", () => {
    expect(describeAgent("python-httpx/0.28.1")).toBe("python-httpx/0.28.1");
    expect(describeAgent("curl/8.11.0")).toBe("curl/8.11.0");
  });

  it("says so when there is none", () => {
    expect(describeAgent(null)).toBe("Unknown device");
    expect(describeAgent("")).toBe("Unknown device");
  });
});
