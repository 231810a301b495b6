// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import { forgetSsoReturn, ssoProblem, ssoReturn } from "./sso";

afterEach(() => window.history.replaceState(null, "", "/"));

describe("coming back from single sign-on", () => {
  it("explains the problems the server names, and any other one", () => {
    expect(ssoProblem(null)).toBeNull();
    expect(ssoProblem("sso_unverified_email")).toContain("does not confirm the address");
    expect(ssoProblem("sso_state")).toContain("Start the sign-in again");
    expect(ssoProblem("something_new")).toBe(
      "Single sign-on did not work. Try again, or use your password.",
    );
  });

  it("reads the problem and the code step's token, then takes them out of the address", () => {
    window.history.replaceState(null, "", "/signin?next=%2Faccount&sso_error=sso_cancelled");
    expect(ssoReturn()).toEqual({ problem: "Single sign-on was cancelled.", mfaToken: null });
    forgetSsoReturn();
    expect(window.location.pathname + window.location.search).toBe("/signin?next=%2Faccount");

    window.history.replaceState(null, "", "/signin#mfa_token=abc.def");
    expect(ssoReturn()).toEqual({ problem: null, mfaToken: "abc.def" });
    forgetSsoReturn();
    expect(window.location.hash).toBe("");
    expect(ssoReturn().mfaToken).toBeNull();
  });
});
