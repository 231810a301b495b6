// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ErrorBoundary } from "./ErrorBoundary";

afterEach(cleanup);

let broken = true;
function Flaky() {
  if (broken) throw new Error("boom");
  return <p>All good</p>;
}

describe("ErrorBoundary", () => {
  it("shows the error with a retry that renders the part again", () => {
    const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
    broken = true;
    render(
      <ErrorBoundary>
        <Flaky />
      </ErrorBoundary>,
    );
    expect(screen.getByRole("alert").textContent).toContain("Something went wrong");
    broken = false;
    fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(screen.getByText("All good")).toBeTruthy();
    quiet.mockRestore();
  });

  it("forgets the error when the page changes", () => {
    const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
    broken = true;
    const { rerender } = render(
      <ErrorBoundary resetKey="/a">
        <Flaky />
      </ErrorBoundary>,
    );
    expect(screen.getByRole("alert")).toBeTruthy();
    broken = false;
    rerender(
      <ErrorBoundary resetKey="/b">
        <Flaky />
      </ErrorBoundary>,
    );
    expect(screen.getByText("All good")).toBeTruthy();
    quiet.mockRestore();
  });
});
