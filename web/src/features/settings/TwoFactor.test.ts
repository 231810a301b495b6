import { describe, expect, it } from "vitest";
import { groupSecret, recoveryFile } from "./TwoFactor";

describe("two-factor set-up", () => {
  it("shows the key in groups of four, as apps do", () => {
    expect(groupSecret("PFUMQRTI2UOEVYRSYYHXJRTSKV5TMM6Z")).toBe(
      "PFUM QRTI 2UOE VYRS YYHX JRTS KV5T MM6Z",
    );
    expect(groupSecret("ABCDEF")).toBe("ABCD EF");
  });

  it("writes the recovery codes as a file that says what they are for", () => {
    const file = recoveryFile(["aaaa-bbbb-cccc-dddd", "eeee-ffff-gggg-hhhh"], "ada@example.com");
    expect(file.split("\n")).toEqual([
      "Tasklane recovery codes for ada@example.com",
      "Each code signs in once when you cannot use your authenticator app.",
      "",
      "aaaa-bbbb-cccc-dddd",
      "eeee-ffff-gggg-hhhh",
      "",
    ]);
  });
});
