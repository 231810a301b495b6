import { describe, expect, it } from "vitest";
import {
  applySuggestion,
  describeRelative,
  FIELDS,
  MAX_SUGGESTIONS,
  quoteValue,
  type Suggestion,
  suggest,
  tokenAt,
  type Vocabulary,
} from "./complete";

const vocabulary: Vocabulary = {
  people: [
    { handle: "ada", name: "Ada Lovelace" },
    { handle: "bob", name: "Bob Martin" },
    { handle: "bobby", name: "Robert Tables" },
    { handle: null, name: "No Handle" },
  ],
  statuses: ["Todo", "In Progress", "Done", "Backlog"],
  labels: ["bug", "needs review", "Bugfix", "frontend", 'say "hi"', "OR"],
  projects: [
    { key: "ENG", name: "Engineering" },
    { key: "OPS", name: "Operations" },
  ],
};

/** The options for `text` with the caret at its end (or at the `|` in it). */
function labels(text: string, options = {}): string[] {
  const at = text.indexOf("|");
  const plain = text.replace("|", "");
  return suggest(plain, at < 0 ? plain.length : at, vocabulary, options).suggestions.map(
    (s) => s.label,
  );
}

/** `text` (caret at its end) once the option shown as `label` is picked. */
function pick(text: string, label: string): { text: string; caret: number } {
  const { token, suggestions } = suggest(text, text.length, vocabulary);
  const chosen = suggestions.find((s) => s.label === label);
  if (!chosen) throw new Error(`no ${label} among ${suggestions.map((s) => s.label)}`);
  return applySuggestion(text, token, chosen);
}

describe("tokenAt", () => {
  it("finds the term the caret is at the end of", () => {
    expect(tokenAt("is:open assi", 12)).toMatchObject({
      start: 8,
      end: 12,
      typed: "assi",
      negated: false,
      field: null,
    });
  });

  it("is empty between terms and at the start", () => {
    expect(tokenAt("is:open ", 8)).toMatchObject({ start: 8, end: 8, typed: "" });
    expect(tokenAt("", 0)).toMatchObject({ start: 0, end: 0, typed: "" });
    expect(tokenAt("a   b", 2)).toMatchObject({ start: 2, end: 2, typed: "" });
  });

  it("runs past the caret to the end of the term", () => {
    expect(tokenAt("label:bug is:open", 7)).toMatchObject({ start: 0, end: 9, typed: "label:b" });
    // At the start of a term: that term, with nothing typed of it yet.
    expect(tokenAt("x label:bug", 2)).toMatchObject({ start: 2, end: 11, typed: "" });
  });

  it("splits the field name, the operator and the value", () => {
    expect(tokenAt("due<=-7", 7).field).toEqual({
      name: "due",
      op: "<=",
      valueStart: 5,
      value: "-7",
      quoted: false,
    });
    expect(tokenAt("x Status:Do", 11).field).toMatchObject({
      name: "status",
      op: ":",
      value: "Do",
    });
    expect(tokenAt("created>", 8).field).toMatchObject({ op: ">", value: "", valueStart: 8 });
  });

  it("keeps spaces inside quotes in the term, and unquotes the value", () => {
    const open = tokenAt('is:open label:"needs re', 23);
    expect(open).toMatchObject({ start: 8, end: 23 });
    expect(open.field).toMatchObject({ value: "needs re", quoted: true, valueStart: 14 });
    const closed = tokenAt('label:"needs review" x', 20);
    expect(closed).toMatchObject({ start: 0, end: 20 });
    expect(closed.field).toMatchObject({ value: "needs review", quoted: true });
  });

  it("notes a negation and counts the value after it", () => {
    const t = tokenAt("-label:wo", 9);
    expect(t).toMatchObject({ negated: true, typed: "-label:wo" });
    expect(t.field).toMatchObject({ name: "label", valueStart: 7, value: "wo" });
  });

  it("clamps a caret outside the text", () => {
    expect(tokenAt("abc", 10)).toMatchObject({ start: 0, end: 3, typed: "abc" });
  });
});

describe("suggest: field names", () => {
  it("completes a partial field name with its operator", () => {
    expect(labels("assi")).toEqual(["assignee:"]);
    expect(labels("p")).toEqual(["priority:", "project:", "parent:"]);
    expect(labels("is:open S")).toEqual(["status:"]);
  });

  it("offers each comparison of a date field", () => {
    expect(labels("du")).toEqual(["due:", "due<", "due>"]);
    expect(labels("due")).toEqual(["due:", "due<", "due>"]);
    expect(labels("c")).toEqual(["created:", "created<", "created>"]);
  });

  it("keeps a negation", () => {
    expect(labels("-lab")).toEqual(["label:"]);
    expect(pick("bug -lab", "label:")).toEqual({ text: "bug -label:", caret: 11 });
  });

  it("offers nothing for an empty term, unless every field was asked for", () => {
    expect(labels("")).toEqual([]);
    expect(labels("is:open ")).toEqual([]);
    const all = labels("", { all: true });
    expect(all.length).toBe(FIELDS.length + 2 * 3);
    expect(all[0]).toBe("assignee:");
    expect(labels("-", { all: true })[0]).toBe("assignee:");
  });

  it("offers nothing for free text that is no field's start", () => {
    expect(labels("login")).toEqual([]);
    expect(labels('"login time')).toEqual([]);
    expect(labels("ENG-12")).toEqual([]);
    expect(labels("OR")).toEqual([]);
  });

  it("offers nothing while the caret is inside a term", () => {
    expect(labels("as|signee:me")).toEqual([]);
    expect(labels("label:b|ug")).toEqual([]);
  });

  it("puts the field in place of the term and leaves the caret after the operator", () => {
    expect(pick("is:open assi", "assignee:")).toEqual({ text: "is:open assignee:", caret: 17 });
    expect(pick("du", "due<")).toEqual({ text: "due<", caret: 4 });
  });

  it("leaves the text after the term alone", () => {
    const text = "assi is:open";
    const { token, suggestions } = suggest(text, 4, vocabulary);
    expect(suggestions.map((s) => s.label)).toEqual(["assignee:"]);
    expect(applySuggestion(text, token, suggestions[0] as Suggestion)).toEqual({
      text: "assignee: is:open",
      caret: 9,
    });
  });
});

describe("suggest: values", () => {
  it("offers me, none and people's handles for assignee", () => {
    expect(labels("assignee:")).toEqual(["me", "none", "ada", "bob", "bobby"]);
    expect(labels("assignee:b")).toEqual(["bob", "bobby"]);
  });

  it("finds people by their name too, and says who they are", () => {
    expect(labels("assignee:robert")).toEqual(["bobby"]);
    expect(labels("assignee:love")).toEqual(["ada"]);
    const { suggestions } = suggest("assignee:a", 10, vocabulary);
    expect(suggestions[0]).toEqual({
      kind: "value",
      label: "ada",
      text: "ada",
      detail: "Ada Lovelace",
    });
  });

  it("takes a handle after @", () => {
    expect(labels("assignee:@bo")).toEqual(["bob", "bobby"]);
    expect(pick("assignee:@bo", "bob").text).toBe("assignee:bob ");
  });

  it("offers status names and then categories, each once in any case", () => {
    expect(labels("status:")).toEqual([
      "Todo",
      "In Progress",
      "Done",
      "Backlog",
      "unstarted",
      "started",
      "cancelled",
    ]);
    expect(labels("status:in")).toEqual(["In Progress"]);
    // A word of the name, then a part of it.
    expect(labels("status:prog")).toEqual(["In Progress"]);
    // Inside a word only from three letters on.
    expect(labels("status:st")).toEqual(["started"]);
    expect(labels("status:sta")).toEqual(["started", "unstarted"]);
    expect(labels("status:d")).toEqual(["Done"]);
  });

  it("offers open, done, overdue and unassigned for is", () => {
    expect(labels("is:")).toEqual(["open", "done", "overdue", "unassigned"]);
    expect(labels("-is:o")).toEqual(["open", "overdue"]);
  });

  it("offers labels, quoting those with a space (or named OR), and leaves out what cannot be written", () => {
    expect(labels("label:")).toEqual(["bug", "needs review", "Bugfix", "frontend", "OR"]);
    expect(labels("label:bu")).toEqual(["bug", "Bugfix"]);
    expect(labels("label:rev")).toEqual(["needs review"]);
    expect(pick("label:rev", "needs review")).toEqual({
      text: 'label:"needs review" ',
      caret: 21,
    });
    expect(pick("label:O", "OR").text).toBe('label:"OR" ');
  });

  it("completes inside an open quote", () => {
    expect(labels('label:"needs r')).toEqual(["needs review"]);
    expect(pick('x label:"needs r', "needs review").text).toBe('x label:"needs review" ');
  });

  it("offers priorities, most urgent first", () => {
    expect(labels("priority:")).toEqual(["urgent", "high", "medium", "low", "none"]);
    expect(labels("priority:h")).toEqual(["high"]);
  });

  it("offers project keys, found by name too", () => {
    expect(labels("project:")).toEqual(["ENG", "OPS"]);
    expect(labels("project:e")).toEqual(["ENG"]);
    expect(labels("project:oper")).toEqual(["OPS"]);
  });

  it("offers none for parent", () => {
    expect(labels("parent:")).toEqual(["none"]);
  });

  it("offers words and days or weeks from today for dates", () => {
    expect(labels("due:")).toEqual([
      "today",
      "yesterday",
      "tomorrow",
      "this-week",
      "last-week",
      "next-week",
      "none",
      "-7d",
      "-30d",
      "+7d",
      "+2w",
    ]);
    expect(labels("due:t")).toEqual(["today", "tomorrow", "this-week"]);
    expect(labels("updated>-")).toEqual(["-7d", "-30d"]);
    expect(labels("created>=-3")).toEqual(["-3d", "-3w"]);
    expect(labels("due<14")).toEqual(["14d", "14w"]);
    expect(labels("due:2026-01")).toEqual([]);
  });

  it("does not offer none with a comparison", () => {
    expect(labels("due<n")).toEqual(["next-week"]);
    expect(labels("due:n")).toEqual(["next-week", "none"]);
  });

  it("leaves out the value already typed in full, in any case", () => {
    expect(labels("label:bug")).toEqual(["Bugfix"]);
    expect(labels("status:todo")).toEqual([]);
    expect(labels('label:"needs review"')).toEqual([]);
    expect(labels("is:open")).toEqual([]);
  });

  it("offers nothing for an unknown field, or a comparison a field does not take", () => {
    expect(labels("asignee:")).toEqual([]);
    expect(labels("label>")).toEqual([]);
  });

  it("offers at most MAX_SUGGESTIONS values", () => {
    const many: Vocabulary = {
      labels: Array.from({ length: 40 }, (_, i) => `l${String(i).padStart(2, "0")}`),
    };
    expect(suggest("label:", 6, many).suggestions).toHaveLength(MAX_SUGGESTIONS);
  });

  it("works on the term at the caret, not only the last one", () => {
    const text = "label:bu is:open";
    const { token, suggestions } = suggest(text, 8, vocabulary);
    expect(suggestions.map((s) => s.label)).toEqual(["bug", "Bugfix"]);
    // The space that follows is kept (not doubled), and the caret goes past it.
    expect(applySuggestion(text, token, suggestions[1] as Suggestion)).toEqual({
      text: "label:Bugfix is:open",
      caret: 13,
    });
  });

  it("works after OR and inside a negation", () => {
    expect(labels("status:todo OR status:d")).toEqual(["Done"]);
    expect(pick("-label:f", "frontend")).toEqual({ text: "-label:frontend ", caret: 16 });
  });
});

describe("quoteValue", () => {
  it("quotes what has a space or is the word OR", () => {
    expect(quoteValue("bug")).toBe("bug");
    expect(quoteValue("needs review")).toBe('"needs review"');
    expect(quoteValue("OR")).toBe('"OR"');
    expect(quoteValue("or")).toBe("or");
  });
});

describe("describeRelative", () => {
  it("says how far from today", () => {
    expect(describeRelative("-7d")).toBe("7 days ago");
    expect(describeRelative("+1w")).toBe("in 1 week");
    expect(describeRelative("1d")).toBe("in 1 day");
    expect(describeRelative("today")).toBe("");
  });
});
