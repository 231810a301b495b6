import { describe, expect, it } from "vitest";
import { contextWords, passwordStrength } from "./strength";

const label = (password: string, context: string[] = []) =>
  passwordStrength(password, context).label;

describe("passwordStrength", () => {
  it("says too short under 8 characters", () => {
    expect(label("")).toBe("Too short");
    expect(label("abc1234")).toBe("Too short");
  });

  it("catches the passwords attackers try first", () => {
    for (const p of [
      "password",
      "Password1!",
      "12345678",
      "87654321",
      "qwertyuiop",
      "aaaaaaaaaa",
      "abababab",
      "iloveyou2",
      "abcdefgh",
      "passwordpassword",
    ]) {
      expect(label(p), p).toBe("Too common");
    }
  });

  it("catches a password made of the user's own details", () => {
    const context = contextWords("Ada Lovelace", "ada.lovelace@example.com");
    expect(label("lovelace99", context)).toBe("Too common");
    expect(label("lovelace99")).toBe("Fair");
  });

  it("rates the rest by length, with no composition rules", () => {
    expect(label("walrus ferry")).toBe("Good");
    expect(label("Tr0ub4dor&3")).toBe("Fair");
    expect(label("correct horse battery staple")).toBe("Strong");
  });
});
