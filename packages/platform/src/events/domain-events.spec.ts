import { ANONYMOUS, RequestContext } from "../context/request-context";
import { ManualClock } from "../clock/clock";
import { DomainEvents } from "./domain-events";
import type { DataSource } from "typeorm";

const ctx = new RequestContext({ manager: {} } as unknown as DataSource, ANONYMOUS, new ManualClock());
const event = { userId: "u1", keepBillingDetails: false, keepOrderHistory: true };

describe("DomainEvents", () => {
  it("runs every subscriber in order with the publisher's context, until one is removed", async () => {
    const events = new DomainEvents();
    const calls: string[] = [];
    events.subscribe("users.profileSettingsChanged", async (c, e) => void calls.push(`a:${e.userId}:${c === ctx}`));
    const removeB = events.subscribe("users.profileSettingsChanged", async () => void calls.push("b"));

    await events.publish(ctx, "users.profileSettingsChanged", event);
    removeB();
    await events.publish(ctx, "users.profileSettingsChanged", event);

    expect(calls).toEqual(["a:u1:true", "b", "a:u1:true"]);
  });

  it("fails the publisher when a subscriber fails, and runs none after it", async () => {
    const events = new DomainEvents();
    const after = jest.fn();
    events.subscribe("users.profileSettingsChanged", async () => {
      throw new Error("boom");
    });
    events.subscribe("users.profileSettingsChanged", after);
    await expect(events.publish(ctx, "users.profileSettingsChanged", event)).rejects.toThrow("boom");
    expect(after).not.toHaveBeenCalled();
  });
});
