import { describe, expect, it } from "vitest";
import type { Person } from "../../api/types";
import { inCode, insertMention, matchPeople, mentionAt } from "./mentions";

function person(name: string, handle: string | null): Person {
  return { user_id: name, name, handle, initials: name.slice(0, 2), email: null };
}

describe("mentionAt", () => {
  const at = (text: string) => mentionAt(text.replace("|", ""), text.indexOf("|"));

  it("finds the @handle being typed at the caret", () => {
    expect(at("@|")).toEqual({ start: 0, query: "" });
    expect(at("Hi @bo|")).toEqual({ start: 3, query: "bo" });
    expect(at("Hi @bo| there")).toEqual({ start: 3, query: "bo" });
    expect(at("(@ada-l|")).toEqual({ start: 1, query: "ada-l" });
    expect(at("line one\n@x_1|")).toEqual({ start: 9, query: "x_1" });
    // The caret in the middle of a handle: what is before it is the query.
    expect(at("@bo|b")).toEqual({ start: 0, query: "bo" });
  });

  it("ignores e-mail addresses, paths and what is not a handle", () => {
    expect(at("mail bob@ex|")).toBeNull();
    expect(at("see a/@b|")).toBeNull();
    expect(at("ä@b|")).toBeNull();
    expect(at("@bob |")).toBeNull();
    expect(at("@bo.b|")).toBeNull();
    expect(at("no mention|")).toBeNull();
    expect(at("|")).toBeNull();
    expect(at(`@${"a".repeat(33)}|`)).toBeNull();
  });

  it("ignores mentions inside code", () => {
    expect(at("run `@bo|")).toBeNull();
    expect(at("run `x` @bo|")).toEqual({ start: 8, query: "bo" });
    expect(at("```\n@bo|")).toBeNull();
    expect(at("```\ncode\n```\n@bo|")).toEqual({ start: 13, query: "bo" });
  });
});

describe("inCode", () => {
  it("tells fenced blocks and inline spans", () => {
    expect(inCode("a `b", 4)).toBe(true);
    expect(inCode("a `b` c", 7)).toBe(false);
    expect(inCode("```js\nx", 7)).toBe(true);
  });
});

describe("matchPeople", () => {
  const people = [
    person("Bob Martin", "bob"),
    person("Ada Lovelace", "ada"),
    person("Robert Bobson", "rbobson"),
    person("Bobby Tables", "tables"),
    person("No Handle", null),
    person("Carla Boa", "carla"),
  ];

  it("puts handles that start with the query first, then names, then the rest", () => {
    // "bob" by handle; then by a word of the name, by name: Bobby, Carla Boa, Robert Bobson.
    expect(matchPeople(people, "bo").map((p) => p.handle)).toEqual([
      "bob",
      "tables",
      "carla",
      "rbobson",
    ]);
    expect(matchPeople(people, "ob").map((p) => p.handle)).toEqual(["bob", "tables", "rbobson"]);
    expect(matchPeople(people, "BOBS").map((p) => p.handle)).toEqual(["rbobson"]);
    expect(matchPeople(people, "love").map((p) => p.handle)).toEqual(["ada"]);
    expect(matchPeople(people, "zz")).toEqual([]);
  });

  it("lists everyone with a handle for an empty query, by name, at most the limit", () => {
    expect(matchPeople(people, "").map((p) => p.name)).toEqual([
      "Ada Lovelace",
      "Bob Martin",
      "Bobby Tables",
      "Carla Boa",
      "Robert Bobson",
    ]);
    expect(matchPeople(people, "", 2)).toHaveLength(2);
    const many = Array.from({ length: 20 }, (_, i) => person(`P${i}`, `p${i}`));
    expect(matchPeople(many, "p")).toHaveLength(8);
  });
});

describe("insertMention", () => {
  it("replaces the token with @handle and a space, and puts the caret after it", () => {
    expect(insertMention("Hi @bo", { start: 3, query: "bo" }, 6, "bob")).toEqual({
      text: "Hi @bob ",
      caret: 8,
    });
  });

  it("replaces the rest of the word the caret is in, and keeps a space that follows", () => {
    expect(
      insertMention("@bo|xx there".replace("|", ""), { start: 0, query: "bo" }, 3, "bob"),
    ).toEqual({
      text: "@bob there",
      caret: 5,
    });
    expect(insertMention("a @ b", { start: 2, query: "" }, 3, "ada")).toEqual({
      text: "a @ada b",
      caret: 7,
    });
    expect(insertMention("(@a)", { start: 1, query: "a" }, 3, "ada")).toEqual({
      text: "(@ada )",
      caret: 6,
    });
  });
});
