import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, currentToasts, dismiss, toast } from "./toasts";

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  for (const t of currentToasts()) dismiss(t.id);
  vi.useRealTimers();
});

describe("toasts", () => {
  it("gives a message with an action time to reach it, then takes it away", () => {
    const plain = toast.info("Saved.");
    const undo = toast.info("ENG-1 moved to the trash.", {
      action: { label: "Undo", run: () => undefined },
    });
    vi.advanceTimersByTime(5000);
    expect(currentToasts().map((t) => t.id)).toEqual([undo]);
    expect(plain).not.toBe(undo);
    vi.advanceTimersByTime(3500);
    expect(currentToasts()).toEqual([]);
  });

  it("runs the action once, however often it is clicked, and the message goes", () => {
    const run = vi.fn();
    const id = toast.info("ENG-1 moved to the trash.", { action: { label: "Undo", run } });
    act(id);
    act(id);
    expect(run).toHaveBeenCalledTimes(1);
    expect(currentToasts()).toEqual([]);
  });
});
