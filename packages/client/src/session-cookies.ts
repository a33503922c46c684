/**
 * The session cookie kept in memory for a client outside a browser (Node, a partner's script):
 * what browsers do with `credentials: "include"`. One jar belongs to one gateway URL, so domain and
 * path are not matched; a cookie the server expires or clears is dropped.
 */
export class SessionCookies {
  private readonly cookies = new Map<string, string>();

  /** Takes in the `Set-Cookie` headers of an answer. */
  store(setCookies: readonly string[], now = Date.now()): void {
    for (const line of setCookies) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === "" || isExpired(attributes, now)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** The `Cookie` header to send, or undefined when the jar is empty. */
  header(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  clear(): void {
    this.cookies.clear();
  }
}

function isExpired(attributes: string[], now: number): boolean {
  for (const attribute of attributes) {
    const eq = attribute.indexOf("=");
    const key = (eq < 0 ? attribute : attribute.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? "" : attribute.slice(eq + 1).trim();
    // Max-Age wins over Expires (RFC 6265 5.3).
    if (key === "max-age") return Number(value) <= 0;
  }
  for (const attribute of attributes) {
    const eq = attribute.indexOf("=");
    if (eq < 0 || attribute.slice(0, eq).trim().toLowerCase() !== "expires") continue;
    const at = Date.parse(attribute.slice(eq + 1).trim());
    if (!Number.isNaN(at) && at <= now) return true;
  }
  return false;
}
