// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it } from "vitest";
import type { Person } from "../../api/types";
import { MentionBox } from "./MentionTextarea";

afterEach(cleanup);

const people: Person[] = [
  { user_id: "u1", name: "Bob Martin", handle: "bob", initials: "BM", email: null },
  { user_id: "u2", name: "Bobby Tables", handle: "tables", initials: "BT", email: null },
  { user_id: "u3", name: "Ada Lovelace", handle: "ada", initials: "AL", email: null },
];

function Editor({ onEscape }: { onEscape?: () => void }) {
  const [text, setText] = useState("");
  return (
    <>
      <MentionBox
        aria-label="Comment"
        people={people}
        value={text}
        onChange={setText}
        onKeyDown={(e) => {
          if (e.key === "Escape") onEscape?.();
        }}
      />
      <output data-testid="text">{text}</output>
    </>
  );
}

function type(box: HTMLTextAreaElement, text: string) {
  box.focus();
  fireEvent.change(box, { target: { value: text } });
  box.setSelectionRange(text.length, text.length);
  fireEvent.select(box);
}

describe("MentionBox", () => {
  it("lists matching people for @ and a few letters, and points the box at the first", () => {
    render(<Editor />);
    const box = screen.getByLabelText("Comment") as HTMLTextAreaElement;
    type(box, "Hi @bo");
    const list = screen.getByRole("listbox", { name: "People to mention" });
    const options = screen.getAllByRole("option");
    expect(options.map((o) => o.querySelector(".mention-handle")?.textContent)).toEqual([
      "@bob",
      "@tables",
    ]);
    expect(box.getAttribute("aria-controls")).toBe(list.id);
    expect(box.getAttribute("aria-activedescendant")).toBe(options[0]?.id);
    expect(options[0]?.getAttribute("aria-selected")).toBe("true");
  });

  it("moves with the arrow keys and inserts the handle with Enter", () => {
    render(<Editor />);
    const box = screen.getByLabelText("Comment") as HTMLTextAreaElement;
    type(box, "Hi @bo");
    fireEvent.keyDown(box, { key: "ArrowDown" });
    const options = screen.getAllByRole("option");
    expect(box.getAttribute("aria-activedescendant")).toBe(options[1]?.id);
    fireEvent.keyDown(box, { key: "ArrowDown" }); // wraps around
    fireEvent.keyDown(box, { key: "ArrowUp" });
    fireEvent.keyDown(box, { key: "Enter" });
    expect(screen.getByTestId("text").textContent).toBe("Hi @tables ");
    expect(screen.queryByRole("listbox")).toBeNull();
    expect(box.selectionStart).toBe("Hi @tables ".length);
  });

  it("inserts with Tab and with a click", () => {
    render(<Editor />);
    const box = screen.getByLabelText("Comment") as HTMLTextAreaElement;
    type(box, "@ad");
    fireEvent.keyDown(box, { key: "Tab" });
    expect(screen.getByTestId("text").textContent).toBe("@ada ");
    type(box, "@ada and @tab");
    fireEvent.click(screen.getByRole("option", { name: /Bobby Tables/ }));
    expect(screen.getByTestId("text").textContent).toBe("@ada and @tables ");
  });

  it("closes the list with Escape without passing the Escape on", () => {
    let escapes = 0;
    render(<Editor onEscape={() => escapes++} />);
    const box = screen.getByLabelText("Comment") as HTMLTextAreaElement;
    type(box, "@bo");
    fireEvent.keyDown(box, { key: "Escape" });
    expect(screen.queryByRole("listbox")).toBeNull();
    expect(box.getAttribute("aria-activedescendant")).toBeNull();
    expect(escapes).toBe(0);
    // Typing on in the same mention keeps it closed; a second Escape reaches the editor.
    type(box, "@bob");
    expect(screen.queryByRole("listbox")).toBeNull();
    fireEvent.keyDown(box, { key: "Escape" });
    expect(escapes).toBe(1);
    // A new mention opens it again.
    type(box, "@bob @ad");
    expect(screen.getAllByRole("option")).toHaveLength(1);
  });

  it("leaves Enter alone when nothing matches", () => {
    render(<Editor />);
    const box = screen.getByLabelText("Comment") as HTMLTextAreaElement;
    type(box, "mail bob@ex");
    expect(screen.queryByRole("listbox")).toBeNull();
    type(box, "@zz");
    expect(screen.queryByRole("listbox")).toBeNull();
  });
});
