import Bowser from "bowser";

/** The longest family name kept; bowser's names are short ("Microsoft Edge", "Chrome OS"). */
export const CLIENT_FAMILY_LENGTH = 64;
/** A user agent longer than this is no browser's: nothing is read from it. */
const MAX_USER_AGENT = 1024;

/** What a session keeps of the browser that started it: the families only, never the user agent. */
export interface ClientFamilies {
  /** The browser family ("Firefox", "Chrome", …); null when the user agent names none. */
  browser: string | null;
  /** The operating system family ("Windows", "macOS", "iOS", …); null when unknown. */
  os: string | null;
}

const UNKNOWN: ClientFamilies = Object.freeze({ browser: null, os: null });

/**
 * The browser and OS families of a user agent (bowser). The families are what someone needs to
 * recognise their sessions ("Firefox on Windows"); the full user agent would fingerprint them, so
 * it is read here and dropped.
 */
export function clientFamilies(userAgent: string | undefined): ClientFamilies {
  // bowser refuses an empty string; an overlong one is not worth parsing.
  if (!userAgent || userAgent.length > MAX_USER_AGENT) return UNKNOWN;
  const parser = Bowser.getParser(userAgent);
  return { browser: family(parser.getBrowserName()), os: family(parser.getOSName()) };
}

function family(name: string | undefined): string | null {
  const trimmed = name?.trim();
  return trimmed ? trimmed.slice(0, CLIENT_FAMILY_LENGTH) : null;
}
