import { describe, expect, it } from "vitest";
import { safeNext } from "../auth/next";
import { authLinks, invitableRoles, linkUrl } from "./invitations";

describe("invitation links", () => {
  it("are full addresses on this site", () => {
    expect(linkUrl("/invite/abc_-1", "https://tasks.example.com")).toBe(
      "https://tasks.example.com/invite/abc_-1",
    );
  });

  it("offer no role above the inviter's own", () => {
    expect(invitableRoles("owner")).toEqual(["owner", "admin", "member", "guest"]);
    expect(invitableRoles("admin")).toEqual(["admin", "member", "guest"]);
  });

  it("come back to the invitation after signing in or up, the address filled in", () => {
    const links = authLinks("tok_-9", "carol+x@example.com");
    expect(links.signup).toBe("/signup?next=%2Finvite%2Ftok_-9&email=carol%2Bx%40example.com");
    const params = new URL(links.signin, "https://x.invalid").searchParams;
    expect(safeNext(params.get("next"))).toBe("/invite/tok_-9");
    expect(params.get("email")).toBe("carol+x@example.com");
  });
});
