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
    expect(sent).toEqual([["ada"], ["ada", "bob", "cy"]]);
  });

  it("never repeats a choice", () => {
    expect(toggled(["a"], "a", true)).toEqual(["a"]);
    expect(toggled(["a", "b"], "c", false)).toEqual(["a", "b"]);
  });
});
