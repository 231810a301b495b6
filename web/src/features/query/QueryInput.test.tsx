// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it } from "vitest";
import type { Vocabulary } from "./complete";
import { QueryInput } from "./QueryInput";

afterEach(cleanup);

const vocabulary: Vocabulary = {
  people: [
    { handle: "ada", name: "Ada Lovelace" },
    { handle: "bob", name: "Bob Martin" },
  ],
  labels: ["bug", "needs review"],
  statuses: ["Todo", "Done"],
};

function Box({ onKey }: { onKey?: (key: string) => void }) {
  const [text, setText] = useState("");
  return (
    <form>
      <QueryInput
        aria-label="Query"
        value={text}
        onChange={setText}
        vocabulary={vocabulary}
        onKeyDown={(e) => onKey?.(e.key)}
      />
      <output data-testid="text">{text}</output>
    </form>
  );
}

function type(box: HTMLInputElement, text: string) {
  box.focus();
  fireEvent.change(box, { target: { value: text } });
  box.setSelectionRange(text.length, text.length);
  fireEvent.select(box);
}

const text = () => screen.getByTestId("text").textContent;
const shown = () => screen.queryAllByRole("option").map((o) => o.firstChild?.textContent);

describe("QueryInput", () => {
  it("is a combobox that lists fields for a partial name, none chosen yet", () => {
    render(<Box />);
    const box = screen.getByRole("combobox", { name: "Query" }) as HTMLInputElement;
    expect(box.getAttribute("aria-expanded")).toBe("false");
    expect(box.getAttribute("aria-controls")).toBeNull();
    type(box, "la");
    const list = screen.getByRole("listbox", { name: "Suggestions" });
    expect(box.getAttribute("aria-expanded")).toBe("true");
    expect(box.getAttribute("aria-controls")).toBe(list.id);
    expect(box.getAttribute("aria-activedescendant")).toBeNull();
    expect(shown()).toEqual(["label:"]);
    expect(screen.getByRole("option").getAttribute("aria-selected")).toBe("false");
  });

  it("moves with the arrows, takes the option with Enter, then offers the field's values", () => {
    render(<Box />);
    const box = screen.getByRole("combobox") as HTMLInputElement;
    type(box, "is:open assi");
    fireEvent.keyDown(box, { key: "ArrowDown" });
    const option = screen.getByRole("option");
    expect(box.getAttribute("aria-activedescendant")).toBe(option.id);
    expect(option.getAttribute("aria-selected")).toBe("true");
    fireEvent.keyDown(box, { key: "Enter" });
    expect(text()).toBe("is:open assignee:");
    expect(box.selectionStart).toBe("is:open assignee:".length);
    expect(shown()).toEqual(["me", "none", "ada", "bob"]);
    fireEvent.keyDown(box, { key: "ArrowUp" }); // from none to the last
    expect(screen.getAllByRole("option")[3]?.getAttribute("aria-selected")).toBe("true");
    fireEvent.keyDown(box, { key: "Enter" });
    expect(text()).toBe("is:open assignee:bob ");
    expect(screen.queryByRole("listbox")).toBeNull();
    expect(box.getAttribute("aria-expanded")).toBe("false");
  });

  it("takes the first option with Tab, and quotes a value with a space", () => {
    render(<Box />);
    const box = screen.getByRole("combobox") as HTMLInputElement;
    type(box, "label:rev");
    fireEvent.keyDown(box, { key: "Tab" });
    expect(text()).toBe('label:"needs review" ');
  });

  it("leaves Enter to the form while no option is chosen", () => {
    const keys: string[] = [];
    render(<Box onKey={(k) => keys.push(k)} />);
    const box = screen.getByRole("combobox") as HTMLInputElement;
    type(box, "label:b");
    expect(shown()).toEqual(["bug"]);
    // Not cancelled: the browser submits the form.
    expect(fireEvent.keyDown(box, { key: "Enter" })).toBe(true);
    expect(keys).toEqual(["Enter"]);
    expect(text()).toBe("label:b");
    fireEvent.keyDown(box, { key: "ArrowDown" });
    expect(fireEvent.keyDown(box, { key: "Enter" })).toBe(false);
    expect(text()).toBe("label:bug ");
  });

  it("closes the list with Escape, and only the list; the next Escape is the page's", () => {
    const keys: string[] = [];
    render(<Box onKey={(k) => keys.push(k)} />);
    const box = screen.getByRole("combobox") as HTMLInputElement;
    type(box, "stat");
    fireEvent.keyDown(box, { key: "Escape" });
    expect(screen.queryByRole("listbox")).toBeNull();
    expect(keys).toEqual([]);
    fireEvent.keyDown(box, { key: "Escape" });
    expect(keys).toEqual(["Escape"]);
    // Typing opens it again.
    type(box, "statu");
    expect(shown()).toEqual(["status:"]);
  });

  it("opens every field with ArrowDown where nothing is typed", () => {
    render(<Box />);
    const box = screen.getByRole("combobox") as HTMLInputElement;
    type(box, "");
    expect(screen.queryByRole("listbox")).toBeNull();
    fireEvent.keyDown(box, { key: "ArrowDown" });
    expect(shown()[0]).toBe("assignee:");
    expect(screen.getAllByRole("option")[0]?.getAttribute("aria-selected")).toBe("true");
    fireEvent.keyDown(box, { key: "Enter" });
    expect(text()).toBe("assignee:");
  });

  it("takes a clicked option", () => {
    render(<Box />);
    const box = screen.getByRole("combobox") as HTMLInputElement;
    type(box, "status:");
    fireEvent.click(screen.getByRole("option", { name: /Done/ }));
    expect(text()).toBe("status:Done ");
  });

  it("closes when the box loses the focus", () => {
    render(<Box />);
    const box = screen.getByRole("combobox") as HTMLInputElement;
    type(box, "prio");
    expect(shown()).toEqual(["priority:"]);
    fireEvent.blur(box);
    expect(screen.queryByRole("listbox")).toBeNull();
  });
});
