import { ConfigException, DAY_MS, type HonourConfig } from "@honour/platform";

/**
 * How webhooks are delivered, read from the environment once when the orders services are built
 * (the gateway and the worker both build them, so a bad value stops either at start-up).
 *
 * | variable                        | default  | meaning                                                        |
 * |---------------------------------|----------|----------------------------------------------------------------|
 * | `WEBHOOK_TIMEOUT_MS`            | 10000    | one attempt's deadline: connect, send, and the answer's status |
 * | `WEBHOOK_BACKOFF_BASE_MS`       | 30000    | wait before the 2nd attempt; doubles each time, at most 6 h    |
 * | `WEBHOOK_RETRY_FOR_MS`          | 3 days   | no new attempt this long after the event                      |
 * | `WEBHOOK_DISABLE_AFTER_MS`      | 3 days   | an endpoint failing without a success this long is disabled  |
 * | `WEBHOOK_ALLOW_PRIVATE`         | false    | `true`: deliver to loopback and private addresses (tests only; refused in production) |
 */
export interface WebhookSettings {
  readonly timeoutMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly retryForMs: number;
  readonly disableAfterMs: number;
  readonly allowPrivate: boolean;
  /** `https:` only (production), or `http:` too. */
  readonly requireHttps: boolean;
}

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  timeoutMs: 10_000,
  backoffBaseMs: 30_000,
  backoffMaxMs: 6 * 3_600_000,
  retryForMs: 3 * DAY_MS,
  disableAfterMs: 3 * DAY_MS,
  allowPrivate: false,
  requireHttps: false,
};

const DURATIONS = [
  ["WEBHOOK_TIMEOUT_MS", "timeoutMs", 100, 120_000],
  ["WEBHOOK_BACKOFF_BASE_MS", "backoffBaseMs", 1, DAY_MS],
  ["WEBHOOK_RETRY_FOR_MS", "retryForMs", 1, 30 * DAY_MS],
  ["WEBHOOK_DISABLE_AFTER_MS", "disableAfterMs", 1, 30 * DAY_MS],
] as const;

/** Reads and validates the webhook variables; throws {@link ConfigException} naming each bad one. */
export function loadWebhookSettings(env: NodeJS.ProcessEnv, nodeEnv: HonourConfig["nodeEnv"]): WebhookSettings {
  const problems: string[] = [];
  const settings: { -readonly [K in keyof WebhookSettings]: WebhookSettings[K] } = {
    ...DEFAULT_WEBHOOK_SETTINGS,
    requireHttps: nodeEnv === "production",
  };
  for (const [name, key, min, max] of DURATIONS) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number of milliseconds from ${min} to ${max} (got "${raw}")`);
    } else {
      settings[key] = value;
    }
  }
  const allow = env.WEBHOOK_ALLOW_PRIVATE;
  if (allow !== undefined && allow !== "") {
    if (allow !== "true" && allow !== "false")
      problems.push(`WEBHOOK_ALLOW_PRIVATE must be true or false (got "${allow}")`);
    else if (allow === "true" && nodeEnv === "production") {
      problems.push("WEBHOOK_ALLOW_PRIVATE=true is for tests: it is refused when NODE_ENV=production");
    } else settings.allowPrivate = allow === "true";
  }
  if (problems.length > 0) throw new ConfigException(problems);
  return settings;
}
