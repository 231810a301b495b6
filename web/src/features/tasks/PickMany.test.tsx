// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { PickMany, toggled } from "./PickMany";

afterEach(cleanup);

const people = [
  { value: "ada", label: "Ada Lovelace" },
  { value: "bob", label: "Bob Martin" },
  { value: "cy", label: "Cy Young" },
];

describe("PickMany", () => {
  it("adds or removes one choice and keeps the others", () => {
    const sent: string[][] = [];
    render(
      <PickMany
        label="Assignees of ENG-1"
        hideLabel
        options={people}
        chosen={["ada", "bob"]}
        summary="Ada, Bob"
        disabled={false}
        onChange={(ids) => sent.push(ids)}
      />,
    );
    expect((screen.getByLabelText("Ada Lovelace") as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText("Bob Martin") as HTMLInputElement).checked).toBe(true);
    fireEvent.click(screen.getByLabelText("Bob Martin"));
    fireEvent.click(screen.getByLabelText("Cy Young"));
    // The caller has not passed the new set back yet; the boxes show it all the same.
    expect(sent).toEqual([["ada"], ["ada", "cy"]]);
    expect((screen.getByLabelText("Bob Martin") as HTMLInputElement).checked).toBe(false);
    expect((screen.getByLabelText("Cy Young") as HTMLInputElement).checked).toBe(true);
  });

  it("goes back to what the caller says once it says something new", () => {
    const props = {
      label: "Labels",
      options: people,
      summary: "",
      disabled: false,
      onChange: () => undefined,
    };
    const { rerender } = render(<PickMany {...props} chosen={["ada"]} />);
    fireEvent.click(screen.getByLabelText("Bob Martin"));
    expect((screen.getByLabelText("Bob Martin") as HTMLInputElement).checked).toBe(true);
    // The write failed: the caller restores the old set (a new array, as a cache restore is).
    rerender(<PickMany {...props} chosen={["ada"]} />);
    expect((screen.getByLabelText("Bob Martin") as HTMLInputElement).checked).toBe(false);
  });

  it("is named by what it changes and by what it shows (label in name)", () => {
    render(
      <PickMany
        label="Assignees of ENG-1"
        options={people}
        chosen={["ada"]}
        summary="Ada Lovelace"
        disabled={false}
        onChange={() => undefined}
      />,
    );
    const summary = document.querySelector("summary");
    expect(summary?.textContent).toBe("Assignees of ENG-1: change, Ada Lovelace");
    expect(summary?.hasAttribute("aria-label")).toBe(false);
  });

  it("never repeats a choice", () => {
    expect(toggled(["a"], "a", true)).toEqual(["a"]);
    expect(toggled(["a", "b"], "c", false)).toEqual(["a", "b"]);
  });
});
