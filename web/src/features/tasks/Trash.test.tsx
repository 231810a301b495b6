// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { Project } from "../../api/types";
import { Trash } from "./Trash";
import { task } from "./testdata";
import { type Trash as TrashData, trashKeys } from "./trash";

afterEach(cleanup);

const project = { id: "p1", key: "ENG", name: "Engine" } as Project;
const statuses = [{ id: "todo", name: "Todo" }] as Parameters<typeof Trash>[0]["statuses"];

function show(editable: boolean) {
  // Loaded already, and fresh: nothing is asked of a server.
  const qc = new QueryClient({
    defaultOptions: { queries: { staleTime: Number.POSITIVE_INFINITY } },
  });
  const gone = task({ title: "Old idea", deleted_at: new Date().toISOString() });
  const data: TrashData = {
    pages: [{ items: [gone], next_cursor: null }],
    pageParams: [undefined],
  };
  qc.setQueryData(trashKeys.project("p1"), data);
  render(
    <QueryClientProvider client={qc}>
      <Trash project={project} statuses={statuses} editable={editable} />
    </QueryClientProvider>,
  );
  return gone;
}

describe("Trash", () => {
  it("lists a deleted task with its key, status, when, and Restore for a member", () => {
    const gone = show(true);
    const row = screen.getByText("Old idea").closest("li") as HTMLElement;
    expect(row.textContent).toContain(gone.key);
    expect(row.textContent).toContain("Todo");
    expect(row.textContent).toContain("Deleted just now");
    expect(screen.getByRole("button", { name: `Restore ${gone.key}` })).toBeTruthy();
  });

  it("offers no Restore to a viewer, who may not restore", () => {
    show(false);
    expect(screen.getByText("Old idea")).toBeTruthy();
    expect(screen.queryByRole("button", { name: /Restore/ })).toBeNull();
    expect(screen.getByText(/Project members can restore them/)).toBeTruthy();
  });
});
