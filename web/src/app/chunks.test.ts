import { describe, expect, it } from "vitest";
import { isChunkError, reloadForChunk } from "./chunks";

function memoryStorage() {
  const data = new Map<string, string>();
  return {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
  };
}

describe("isChunkError", () => {
  it.each([
    new TypeError("Failed to fetch dynamically imported module: https://x/assets/TaskPage-1.js"),
    new TypeError("error loading dynamically imported module"),
    new TypeError("Importing a module script failed."),
    new Error("Unable to preload CSS for /assets/index.css"),
  ])("knows %s", (error) => {
    expect(isChunkError(error)).toBe(true);
  });

  it("is not fooled by other errors", () => {
    expect(isChunkError(new Error("Cannot read properties of undefined"))).toBe(false);
    expect(isChunkError("Failed to fetch dynamically imported module")).toBe(false);
  });
});

describe("reloadForChunk", () => {
  it("reloads once, then not again within a minute, then again later", () => {
    const storage = memoryStorage();
    let reloads = 0;
    const reload = () => {
      reloads++;
    };
    expect(reloadForChunk(storage, reload, 1_000_000)).toBe(true);
    expect(reloadForChunk(storage, reload, 1_000_500)).toBe(false);
    expect(reloadForChunk(storage, reload, 1_059_000)).toBe(false);
    expect(reloadForChunk(storage, reload, 1_061_000)).toBe(true);
    expect(reloads).toBe(2);
  });

  it("does not reload when storage is unavailable", () => {
    const broken = {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => undefined,
    };
    let reloads = 0;
    expect(reloadForChunk(broken, () => reloads++, 5)).toBe(false);
    expect(reloads).toBe(0);
  });
});
