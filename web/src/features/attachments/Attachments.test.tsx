// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { Project } from "../../api/types";
import { AttachmentCards } from "./Attachments";
import type { Attachment } from "./files";
import { attachment } from "./testdata";

afterEach(cleanup);

const names = new Map([
  ["me", "Ada Lovelace"],
  ["bob", "Bob Martin"],
]);
const files = [
  attachment({ id: "a1", filename: "first.png", created_by: "me" }),
  attachment({
    id: "a2",
    filename: "report.pdf",
    content_type: "application/pdf",
    created_by: "bob",
  }),
  attachment({
    id: "a3",
    filename: "second.png",
    created_by: "bob",
    thumbnail_url: "/api/v1/attachments/a3/thumbnail",
  }),
];

function show(role: "admin" | "member", canAdd = true, list: Attachment[] = files) {
  const qc = new QueryClient({
    defaultOptions: { queries: { staleTime: Number.POSITIVE_INFINITY } },
  });
  qc.setQueryData(["project", "p1"], { id: "p1", role } as Project);
  render(
    <QueryClientProvider client={qc}>
      <AttachmentCards
        attachments={list}
        task={{ key: "ENG-1", project_id: "p1" }}
        me="me"
        names={names}
        canAdd={canAdd}
        label="Files of this task"
      />
    </QueryClientProvider>,
  );
}

describe("AttachmentCards", () => {
  it("shows images by their preview and other files as a download link", () => {
    show("member");
    const list = screen.getByRole("list", { name: "Files of this task" });
    expect(list.querySelectorAll("li")).toHaveLength(3);
    const pdf = screen.getByRole("link", { name: "report.pdf" });
    expect(pdf.getAttribute("href")).toBe("/api/v1/attachments/a2/content");
    expect(pdf.hasAttribute("download")).toBe(true);
    const [first, second] = screen
      .getAllByRole("button", { name: /^View / })
      .map((b) => b.querySelector("img")?.getAttribute("src"));
    // No thumbnail yet: the image itself; then the thumbnail once it is there.
    expect(first).toBe("/api/v1/attachments/a1/content");
    expect(second).toBe("/api/v1/attachments/a3/thumbnail");
    expect(list.textContent).toContain("2 KB");
    expect(list.textContent).toContain("Bob Martin");
  });

  it("offers Delete for the member's own files only", () => {
    show("member");
    expect(screen.getByRole("button", { name: "Delete first.png" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Delete report.pdf" })).toBeNull();
  });

  it("offers Delete for everyone's files to a project admin", () => {
    show("admin");
    expect(screen.getAllByRole("button", { name: /^Delete / })).toHaveLength(3);
  });

  it("offers no Delete to a viewer, even of a file they once added", () => {
    show("member", false);
    expect(screen.queryByRole("button", { name: /^Delete / })).toBeNull();
  });

  it("asks before deleting", () => {
    show("member");
    fireEvent.click(screen.getByRole("button", { name: "Delete first.png" }));
    expect(screen.getByRole("heading", { name: "Delete first.png?" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Delete file" })).toBeTruthy();
  });
});

describe("the lightbox", () => {
  it("opens on an image, moves between the images with the arrow keys, and gives focus back", () => {
    show("member");
    const opener = screen.getByRole("button", { name: "View first.png" });
    opener.focus();
    fireEvent.click(opener);
    const dialog = screen.getByRole("dialog", { name: "first.png, image 1 of 2" });
    expect(dialog.querySelector("img")?.getAttribute("src")).toBe("/api/v1/attachments/a1/content");
    // The PDF is not among the images.
    fireEvent.keyDown(dialog, { key: "ArrowRight" });
    expect(screen.getByRole("dialog", { name: "second.png, image 2 of 2" })).toBeTruthy();
    fireEvent.keyDown(dialog, { key: "ArrowRight" });
    expect(screen.getByRole("dialog", { name: "first.png, image 1 of 2" })).toBeTruthy();
    fireEvent.keyDown(dialog, { key: "ArrowLeft" });
    expect(screen.getByRole("dialog", { name: "second.png, image 2 of 2" })).toBeTruthy();
    act(() => {
      fireEvent.click(screen.getByRole("button", { name: "Close (Esc)" }));
    });
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.activeElement).toBe(opener);
  });
});
