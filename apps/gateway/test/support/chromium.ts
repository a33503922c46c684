import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type LaunchOptions } from "playwright-core";

/** Debian's Chromium (`apt-get install chromium`); .ci/run installs it when it is missing. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** No first-run dialogs, no update or sync traffic, no sandbox (CI runs as root). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * How a browser test should run here: with Chromium; skipped with a reason when it is missing on a
 * developer's machine; failed when it is missing in CI (CI=true), where a skipped browser test
 * would hide that the tracking script was never run.
 */
export function chromiumAvailability(): { present: true } | { present: false; onCi: boolean; reason: string } {
  if (existsSync(CHROMIUM_PATH)) return { present: true };
  return {
    present: false,
    onCi: process.env.CI === "true",
    reason: `Chromium is not at ${CHROMIUM_PATH}: install it with \`apt-get install -y --no-install-recommends chromium\` (or set CHROMIUM_PATH)`,
  };
}

export interface ChromiumProfile {
  /** Chromium's own "Send a Do Not Track request" setting, written into the fresh profile. */
  doNotTrack?: boolean;
}

/**
 * A headless Chromium with a fresh profile (user data directory) of its own, removed on close.
 * Settings of the profile are written into its Preferences file before the browser starts, as
 * Chromium's settings page would write them.
 */
export async function launchChromium(
  profile: ChromiumProfile = {},
  options: Omit<LaunchOptions, "executablePath" | "args" | "headless"> & {
    userAgent?: string;
    extraHTTPHeaders?: Record<string, string>;
  } = {},
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const userDataDir = mkdtempSync(join(tmpdir(), "honour-chromium-"));
  mkdirSync(join(userDataDir, "Default"));
  writeFileSync(
    join(userDataDir, "Default", "Preferences"),
    JSON.stringify({ enable_do_not_track: profile.doNotTrack ?? false }),
  );
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      ...options,
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 15_000,
    });
    return {
      context,
      close: async () => {
        await context.close();
        rmSync(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
}
