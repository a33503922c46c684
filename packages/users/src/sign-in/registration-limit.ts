import { hmac, MINUTE_MS, type RequestContext } from "@honour/platform";
import { throttleRequest } from "../password/request-throttle";
import { UsersErrorCode } from "../users.exception";

/** The window of {@link RegistrationLimit}: an hour. */
export const REGISTRATION_WINDOW_MS = 60 * MINUTE_MS;

/**
 * Registrations per client IP: at most `perHour` (`REGISTRATIONS_PER_IP_PER_HOUR`; 0 turns the
 * limit off) within {@link REGISTRATION_WINDOW_MS}, refused with `RATE_LIMITED` (reason
 * REGISTRATION_THROTTLED) and `retryAfterSeconds` beyond it. Every attempt counts, accepted or not:
 * a script trying addresses is what this stops.
 */
export class RegistrationLimit {
  constructor(
    private readonly secret: string,
    private readonly perHour: number,
  ) {}

  /** Counts a registration from the request's client, or refuses it. Outside a transaction. */
  async count(ctx: RequestContext): Promise<void> {
    if (!ctx.ip || this.perHour === 0) return;
    await throttleRequest(ctx, hmac(this.secret, "users.registration.ip", ctx.ip), {
      limit: this.perHour,
      windowMs: REGISTRATION_WINDOW_MS,
      reason: UsersErrorCode.REGISTRATION_THROTTLED,
      message: "Too many accounts were registered from your network. Try again later.",
    });
  }
}
