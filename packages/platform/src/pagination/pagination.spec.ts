import { ErrorCode, ValidationException } from "../errors/domain.exception";
import { newId } from "../crypto/crypto";
import { decodeCursor, encodeCursor, readPageArgs, toConnection } from "./pagination";

/** The exception `work` throws, or fails the test when it throws none. */
function thrown(work: () => unknown): ValidationException {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationException);
    return error as ValidationException;
  }
  throw new Error("expected a ValidationException");
}

describe("cursors", () => {
  it("round-trip a row id", () => {
    const id = newId();
    const cursor = encodeCursor(id);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain(id);
    expect(decodeCursor(cursor)).toBe(id);
  });

  it.each([
    ["not base64 of a cursor", "hello"],
    ["an empty cursor", ""],
    ["a cursor without an id", Buffer.from("c1:").toString("base64url")],
    ["another version", Buffer.from("c2:abc").toString("base64url")],
    ["an overlong cursor", Buffer.from(`c1:${"x".repeat(200)}`).toString("base64url")],
  ])("rejects %s as BAD_USER_INPUT on the field `after`", (_what, cursor) => {
    const error = thrown(() => decodeCursor(cursor));
    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.fields.map((f) => f.field)).toEqual(["after"]);
  });
});

describe("readPageArgs", () => {
  it("defaults to 20 rows from the start", () => {
    expect(readPageArgs({})).toEqual({ first: 20, afterId: undefined });
    expect(readPageArgs({ first: null, after: null })).toEqual({ first: 20, afterId: undefined });
  });

  it("decodes `after`", () => {
    const id = newId();
    expect(readPageArgs({ first: 5, after: encodeCursor(id) })).toEqual({ first: 5, afterId: id });
  });

  it("accepts 1 and 100", () => {
    expect(readPageArgs({ first: 1 }).first).toBe(1);
    expect(readPageArgs({ first: 100 }).first).toBe(100);
  });

  it.each([0, 101, -1, 2.5])("rejects first = %p as BAD_USER_INPUT on the field `first`", (first) => {
    const error = thrown(() => readPageArgs({ first }));
    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.fields.map((f) => f.field)).toEqual(["first"]);
  });

  it("rejects a bad `after` as BAD_USER_INPUT on the field `after`", () => {
    const error = thrown(() => readPageArgs({ first: 10, after: "garbage" }));
    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.fields.map((f) => f.field)).toEqual(["after"]);
  });
});

describe("toConnection", () => {
  it("gives each row a cursor and the page its ends", () => {
    const rows = [{ id: newId() }, { id: newId() }];
    const page = toConnection(rows, true);
    expect(page.nodes).toBe(rows);
    expect(page.edges.map((e) => decodeCursor(e.cursor))).toEqual(rows.map((r) => r.id));
    expect(page.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: page.edges[0]!.cursor,
      endCursor: page.edges[1]!.cursor,
    });
  });

  it("makes the edges once, when first read, and gives them to every later read", () => {
    const rows = [{ id: newId() }, { id: newId() }, { id: newId() }];
    const page = toConnection(rows, false);
    const first = page.edges;
    expect(page.edges).toBe(first);
    expect(first.map((e) => e.node)).toEqual(rows);
    expect(first[0]!.node).toBe(rows[0]);
    // A copy of the page (as resolvers make) carries the same edges.
    expect({ ...page }.edges).toBe(first);
  });

  it("has null cursors when empty", () => {
    expect(toConnection([], false).pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: false,
      startCursor: null,
      endCursor: null,
    });
  });
});
