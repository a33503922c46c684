import { request } from "../api/client";
import { LogView } from "../components/log-view";
import { ConsoleAuditLogDocument, type ConsoleAuditLogQuery } from "../generated/graphql";

type Entry = ConsoleAuditLogQuery["auditLog"]["nodes"][number];

/** The audit log: who read or changed whose data, newest first, by staff member, subject and time. */
export function AuditLogPage() {
  return (
    <LogView<Entry>
      title="Audit log"
      fields={[
        { name: "actorId", label: "Staff member (user id)" },
        { name: "subjectId", label: "Subject (user or partner id)" },
      ]}
      load={({ values, from, to }, after) =>
        request(ConsoleAuditLogDocument, {
          first: 25,
          after,
          actorId: values.actorId,
          subjectId: values.subjectId,
          from,
          to,
        }).then((d) => d.auditLog)
      }
      caption="Entries, newest first"
      empty="No entries."
      columns={[
        {
          header: "Who",
          cell: (entry) => (
            <>
              {entry.actorId} <span className="hint">({entry.actorKind})</span>
            </>
          ),
        },
        { header: "What", cell: (entry) => entry.action.toLowerCase().replace(/_/g, " ") },
        { header: "Whose data", cell: (entry) => entry.subjectId ?? "—" },
        { header: "Detail", cell: (entry) => entry.detail ?? "" },
      ]}
    />
  );
}
