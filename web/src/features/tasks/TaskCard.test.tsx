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
});
