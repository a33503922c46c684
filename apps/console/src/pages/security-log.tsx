import { request } from "../api/client";
import { LogView } from "../components/log-view";
import {
  ConsoleSecurityEventsDocument,
  type ConsoleSecurityEventsQuery,
  type SecurityEventKind,
} from "../generated/graphql";

type Event = ConsoleSecurityEventsQuery["securityEvents"]["nodes"][number];

const KINDS = [
  "LOGIN_SUCCEEDED",
  "LOGIN_FAILED",
  "RATE_LIMITED",
  "PARTNER_KEY_USED",
  "PARTNER_KEY_REJECTED",
  "STAFF_ACTION",
  "SESSION_REVOKED",
  "PASSWORD_RESET_REQUESTED",
  "PASSWORD_CHANGED",
  "EMAIL_CHANGED",
  "EMAIL_VERIFIED",
  "MFA_ENABLED",
  "MFA_DISABLED",
  "MFA_FAILED",
  "PASSKEY_ADDED",
] as const satisfies readonly SecurityEventKind[];

/** The security log: sign-ins, refusals, key use, staff actions, with their filters. */
export function SecurityLogPage() {
  return (
    <LogView<Event>
      title="Security log"
      fields={[
        {
          name: "kind",
          label: "Kind",
          options: KINDS.map((kind) => ({ value: kind, label: kind.toLowerCase().replace(/_/g, " ") })),
        },
      ]}
      load={({ values, from, to }, after) =>
        request(ConsoleSecurityEventsDocument, {
          first: 25,
          after,
          kind: values.kind as SecurityEventKind | null,
          from,
          to,
        }).then((d) => d.securityEvents)
      }
      caption="Events, newest first"
      empty="No events."
      columns={[
        { header: "Kind", cell: (event) => event.kind.toLowerCase().replace(/_/g, " ") },
        {
          header: "Address",
          cell: (event) => (
            <>
              {event.ip ?? "—"}
              {event.hostname && event.hostname !== event.ip && <div className="hint">{event.hostname}</div>}
            </>
          ),
        },
        {
          header: "Account or partner",
          cell: (event) =>
            event.userId ? `user ${event.userId}` : event.partnerId ? `partner ${event.partnerId}` : "—",
        },
        { header: "Detail", cell: (event) => event.detail ?? "" },
      ]}
    />
  );
}
