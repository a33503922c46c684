import type { Role } from "../generated/graphql";

export type PageId =
  "statistics" | "campaigns" | "privacy-requests" | "audit-log" | "security-log" | "partners" | "users";

/**
 * The console's pages, their paths under /console and the roles whose API calls they need, as
 * the schema's resolvers authorise them (the server still decides every call). The audit log is
 * ADMIN-only in the API today.
 */
export const PAGES: readonly { id: PageId; title: string; path: string; roles: readonly Role[] }[] = [
  { id: "statistics", title: "Statistics", path: "/console/statistics", roles: ["MARKETING", "ADMIN"] },
  { id: "campaigns", title: "Campaigns", path: "/console/campaigns", roles: ["MARKETING", "ADMIN"] },
  { id: "privacy-requests", title: "Privacy requests", path: "/console/privacy-requests", roles: ["SUPPORT", "ADMIN"] },
  { id: "audit-log", title: "Audit log", path: "/console/audit-log", roles: ["SECURITY", "ADMIN"] },
  { id: "security-log", title: "Security log", path: "/console/security-log", roles: ["SECURITY", "ADMIN"] },
  { id: "partners", title: "Partners", path: "/console/partners", roles: ["ADMIN"] },
  { id: "users", title: "Users", path: "/console/users", roles: ["SUPPORT", "ADMIN"] },
];

export function pagesFor(role: Role): typeof PAGES {
  return PAGES.filter((page) => page.roles.includes(role));
}
