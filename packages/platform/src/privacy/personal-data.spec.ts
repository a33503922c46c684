import { PersonalDataRegistry, type PersonalDataContributor, type PersonalDataSubject } from "./personal-data";
import type { RequestContext } from "../context/request-context";

const SUBJECT: PersonalDataSubject = { userId: "u1", email: "ada@example.com", phone: null };
const ctx = {} as RequestContext;

/** A contributor that writes what it is asked to do into `calls`. */
function recorder(name: string, calls: string[], withLock = false): PersonalDataContributor {
  return {
    name,
    export: async () => {
      calls.push(`export ${name}`);
      return { from: name };
    },
    erase: async () => void calls.push(`erase ${name}`),
    ...(withLock ? { lock: async () => void calls.push(`lock ${name}`) } : {}),
  };
}

const exportNothing = async (): Promise<Record<string, unknown>> => ({});
const eraseNothing = async (): Promise<void> => undefined;

describe("PersonalDataRegistry", () => {
  it.each([
    ["without export", { name: "orders", erase: eraseNothing }, /no export/],
    ["without erase", { name: "orders", export: exportNothing }, /no erase/],
    ["without either half", { name: "orders" }, /no export, no erase/],
    ["without a name", { export: exportNothing, erase: eraseNothing }, /no name/],
    ["with an empty name", { name: " ", export: exportNothing, erase: eraseNothing }, /no name/],
    [
      "whose lock is not a function",
      { name: "orders", export: exportNothing, erase: eraseNothing, lock: true },
      /lock is not a function/,
    ],
  ])("refuses a contributor %s at registration", (_what, contributor, problem) => {
    const registry = new PersonalDataRegistry();
    expect(() => registry.register(contributor as unknown as PersonalDataContributor)).toThrow(problem);
    expect(registry.names).toEqual([]);
  });

  it("refuses a second contributor with a name already taken, and ignores the very same one again", () => {
    const registry = new PersonalDataRegistry();
    const orders = recorder("orders", []);
    expect(registry.register(orders)).toBe(orders);
    expect(() => registry.register(recorder("orders", []))).toThrow(/already registered/);
    expect(registry.register(orders)).toBe(orders);
    expect(registry.names).toEqual(["orders"]);
    expect(registry.has(orders)).toBe(true);
    expect(registry.has(recorder("orders", []))).toBe(false);
  });

  it("exports in registration order and erases in reverse, each lock right before its erase", async () => {
    const calls: string[] = [];
    const registry = new PersonalDataRegistry();
    registry.register(recorder("account", calls));
    registry.register(recorder("orders", calls, true));
    registry.register(recorder("privacy", calls));

    expect(await registry.exportAll(ctx, SUBJECT)).toEqual({
      account: { from: "account" },
      orders: { from: "orders" },
      privacy: { from: "privacy" },
    });
    expect(Object.keys(await registry.exportAll(ctx, SUBJECT))).toEqual(["account", "orders", "privacy"]);
    calls.length = 0;

    await registry.eraseAll(ctx, SUBJECT);
    expect(calls).toEqual(["erase privacy", "lock orders", "erase orders", "erase account"]);
  });
});
