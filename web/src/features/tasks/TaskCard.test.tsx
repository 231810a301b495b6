// @vitest-environment happy-dom
import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { CardBody, type CardContext } from "./TaskCard";
import { task } from "./testdata";

const ctx: CardContext = {
  labels: new Map([["l1", { id: "l1", project_id: "p1", name: "bug", color: "#ff0000" }]]),
  people: new Map([["u1", "Ada Lovelace"]]),
  today: "2026-06-01",
  open: () => {},
  select: () => {},
};

describe("CardBody", () => {
  it("shows a title with HTML in it as text", () => {
    const { container } = render(
      <CardBody task={task({ title: '<img src=x onerror="alert(1)"><b>bold</b>' })} ctx={ctx} />,
    );
    expect(screen.getByText('<img src=x onerror="alert(1)"><b>bold</b>')).toBeTruthy();
    expect(container.querySelector("img, b")).toBeNull();
  });

  it("shows labels, people and an overdue date for screen readers too", () => {
    render(
      <CardBody
        task={task({
          label_ids: ["l1"],
          assignee_ids: ["u1"],
          due_date: "2026-05-01",
          priority: "urgent",
        })}
        ctx={ctx}
      />,
    );
    expect(screen.getByText("bug")).toBeTruthy();
    expect(screen.getByText("Ada Lovelace")).toBeTruthy();
    expect(screen.getByText("Overdue,")).toBeTruthy();
    expect(screen.getByRole("img", { name: "Priority: Urgent" })).toBeTruthy();
  });

  it("shows subtask progress, comments and the estimate only when there are some", () => {
    const busy = task({ estimate: 3 });
    const quiet = task({ estimate: 0 });
    const withStats: CardContext = {
      ...ctx,
      stats: {
        [busy.id]: { subtasks: 2, subtasks_done: 1, comments: 4 },
        [quiet.id]: { subtasks: 0, subtasks_done: 0, comments: 0 },
      },
    };
    const { container, rerender } = render(<CardBody task={busy} ctx={withStats} />);
    expect(container.textContent).toContain("Subtasks done: 1/2");
    expect(container.textContent).toContain("4 comments");
    expect(container.textContent).toContain("Est. 3");
    expect(screen.getByTitle("1 of 2 subtasks done")).toBeTruthy();
    rerender(<CardBody task={quiet} ctx={withStats} />);
    expect(container.querySelector(".card-extra")).toBeNull();
    expect(container.querySelector(".card-meta")).toBeNull();
  });
});
