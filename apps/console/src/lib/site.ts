/** What the gateway wrote into the console's page when it served it. */
function meta(name: string): string | null {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? null;
}

/** The site's time zone (SITE_TIME_ZONE), in which the statistics count days and hours. */
export function siteTimeZone(): string {
  return meta("honour-site-time-zone") || "UTC";
}

/** Whether the gateway serves the GraphQL IDE at /graphql. */
export function graphqlIdeOn(): boolean {
  return meta("honour-graphql-ide") === "on";
}
