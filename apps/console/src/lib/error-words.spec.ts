import { describeError } from "./error-words";

describe("error codes in words", () => {
  it("says what a code means, names each invalid field and how long to wait", () => {
    expect(describeError("FORBIDDEN", "x")).toBe("Your role does not allow this.");
    expect(
      describeError("BAD_USER_INPUT", "The input is not valid.", [
        { field: "input.subject", message: "must not be empty" },
      ]),
    ).toBe("Some of what you entered is not valid. Subject: must not be empty.");
    expect(describeError("RATE_LIMITED", "slow down", [], 30)).toBe("Too many attempts. Try again in 30 seconds.");
    expect(describeError("UNAUTHENTICATED", "x", [], undefined, "INVALID_CREDENTIALS")).toBe(
      "The email address or password is not correct.",
    );
    expect(describeError("SOMETHING_NEW", "The server's words.")).toBe(
      "The server refused this (SOMETHING_NEW): The server's words.",
    );
  });
});
