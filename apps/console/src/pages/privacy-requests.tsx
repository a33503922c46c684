import { useState, type FormEvent } from "react";
import { request } from "../api/client";
import { ErrorMessage, Notice, PageTitle, Pager, useAction, useCursorPages, When } from "../components/common";
import {
  ConsoleCompletePrivacyRequestDocument,
  ConsoleExtendPrivacyRequestDocument,
  ConsolePrivacyRequestsDocument,
  ConsoleRecordPrivacyRequestDocument,
  ConsoleRejectPrivacyRequestDocument,
  type PrivacyRequestChannel,
  type PrivacyRequestFieldsFragment,
  type PrivacyRequestStatus,
  type PrivacyRequestType,
} from "../generated/graphql";

const TYPES: { value: PrivacyRequestType; label: string }[] = [
  { value: "ACCESS", label: "Access (a copy of their data)" },
  { value: "RECTIFICATION", label: "Rectification (correct their data)" },
  { value: "ERASURE", label: "Erasure (close the account)" },
  { value: "OBJECTION", label: "Objection (to marketing)" },
];
const STATUSES: { value: PrivacyRequestStatus | ""; label: string }[] = [
  { value: "RECEIVED", label: "Received" },
  { value: "IN_PROGRESS", label: "In progress" },
  { value: "COMPLETED", label: "Completed" },
  { value: "REJECTED", label: "Rejected" },
  { value: "", label: "Any" },
];

/** Days left in words; overdue marked. */
function DaysLeft({ request: r }: { request: PrivacyRequestFieldsFragment }) {
  if (r.daysLeft === null || r.daysLeft === undefined) return <span>answered</span>;
  if (r.daysLeft < 0) {
    const late = -r.daysLeft;
    return <strong className="overdue">Overdue by {late === 1 ? "1 day" : `${late} days`}</strong>;
  }
  if (r.daysLeft === 0) return <strong className="overdue">Due today</strong>;
  return <span>{r.daysLeft === 1 ? "1 day" : `${r.daysLeft} days`} left</span>;
}

/**
 * Privacy requests: the queue by due date across pages (overdue first), recording one received by
 * post, phone or email, and completing, extending or rejecting one.
 */
export function PrivacyRequestsPage() {
  const [status, setStatus] = useState<PrivacyRequestStatus | "">("RECEIVED");
  const [recording, setRecording] = useState(false);
  const pages = useCursorPages(
    (after) =>
      // The API pages the queue by due date (orderBy: DUE_FIRST), so overdue requests lead on every page.
      request(ConsolePrivacyRequestsDocument, { first: 20, after, status: status || null }).then(
        (d) => d.privacyRequests,
      ),
    [status],
  );

  return (
    <section>
      <PageTitle>Privacy requests</PageTitle>
      <div className="toolbar">
        <label className="inline">
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value as PrivacyRequestStatus | "")}>
            {STATUSES.map((s) => (
              <option key={s.label} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="secondary" onClick={() => setRecording((r) => !r)} aria-expanded={recording}>
          Record a request received by post, phone or email
        </button>
      </div>
      {recording && (
        <RecordForm
          onRecorded={() => {
            setRecording(false);
            setStatus("RECEIVED");
            pages.reload();
          }}
        />
      )}
      <ErrorMessage error={pages.error} />
      <div className="table-wrap">
        <table>
          <caption>Requests, by due date</caption>
          <thead>
            <tr>
              <th scope="col">Due</th>
              <th scope="col">Type</th>
              <th scope="col">Status</th>
              <th scope="col">Received</th>
              <th scope="col">Requester</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {pages.nodes.length === 0 && !pages.loading && (
              <tr>
                <td colSpan={6}>No requests here.</td>
              </tr>
            )}
            {pages.nodes.map((r) => (
              <RequestRow
                key={r.id}
                request={r}
                onChanged={(changed) => pages.replace((nodes) => nodes.map((n) => (n.id === changed.id ? changed : n)))}
              />
            ))}
          </tbody>
        </table>
      </div>
      <Pager pages={pages} label="Privacy requests" />
    </section>
  );
}

function RequestRow({
  request: r,
  onChanged,
}: {
  request: PrivacyRequestFieldsFragment;
  onChanged(r: PrivacyRequestFieldsFragment): void;
}) {
  const [mode, setMode] = useState<"extend" | "reject" | null>(null);
  const [reason, setReason] = useState("");
  const [months, setMonths] = useState(1);
  const action = useAction();
  const open = r.status === "RECEIVED" || r.status === "IN_PROGRESS";

  const complete = async () => {
    const done = await action.run(
      async () => (await request(ConsoleCompletePrivacyRequestDocument, { id: r.id })).completePrivacyRequest,
    );
    if (done) onChanged(done);
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const changed = await action.run(async () =>
      mode === "extend"
        ? (await request(ConsoleExtendPrivacyRequestDocument, { id: r.id, reason, months })).extendPrivacyRequest
        : (await request(ConsoleRejectPrivacyRequestDocument, { id: r.id, reason })).rejectPrivacyRequest,
    );
    if (changed) {
      setMode(null);
      setReason("");
      onChanged(changed);
    }
  };

  return (
    <tr
      data-request-id={r.id}
      data-overdue={r.daysLeft !== null && r.daysLeft !== undefined && r.daysLeft < 0 ? "true" : undefined}
    >
      <th scope="row">
        <When at={r.dueAt} />
        <br />
        <DaysLeft request={r} />
        {r.extendedByMonths > 0 && <div className="hint">extended by {r.extendedByMonths} month(s)</div>}
      </th>
      <td>{r.type.toLowerCase()}</td>
      <td>{r.status.toLowerCase().replace("_", " ")}</td>
      <td>
        <When at={r.receivedAt} /> ({r.channel.toLowerCase()})
      </td>
      <td>
        {r.requesterContact ?? (r.subjectId ? `account ${r.subjectId}` : "—")}
        {r.notes && <div className="hint">{r.notes}</div>}
        {r.extensionReason && <div className="hint">Extended: {r.extensionReason}</div>}
        {r.rejectionReason && <div className="hint">Rejected: {r.rejectionReason}</div>}
      </td>
      <td>
        {open && (
          <div className="row-actions">
            <button type="button" onClick={complete} disabled={action.busy}>
              Complete
            </button>
            <button
              type="button"
              className="secondary"
              onClick={() => setMode(mode === "extend" ? null : "extend")}
              aria-expanded={mode === "extend"}
            >
              Extend…
            </button>
            <button
              type="button"
              className="secondary"
              onClick={() => setMode(mode === "reject" ? null : "reject")}
              aria-expanded={mode === "reject"}
            >
              Reject…
            </button>
          </div>
        )}
        {mode && (
          <form onSubmit={submit}>
            <label>
              {mode === "extend"
                ? "Why more time is needed (told to the requester)"
                : "Why it is refused (told to the requester)"}
              <textarea required value={reason} onChange={(e) => setReason(e.target.value)} />
            </label>
            {mode === "extend" && (
              <label>
                Months to add
                <select value={months} onChange={(e) => setMonths(Number(e.target.value))}>
                  <option value={1}>1 month</option>
                  <option value={2}>2 months</option>
                </select>
              </label>
            )}
            <button type="submit" disabled={action.busy}>
              {mode === "extend" ? "Extend" : "Reject"}
            </button>
          </form>
        )}
        <ErrorMessage error={action.error} />
      </td>
    </tr>
  );
}

function RecordForm({ onRecorded }: { onRecorded(): void }) {
  const [type, setType] = useState<PrivacyRequestType>("ACCESS");
  const [channel, setChannel] = useState<PrivacyRequestChannel>("LETTER");
  const [subjectId, setSubjectId] = useState("");
  const [requesterContact, setRequesterContact] = useState("");
  const [receivedOn, setReceivedOn] = useState("");
  const [notes, setNotes] = useState("");
  const [recorded, setRecorded] = useState(false);
  const action = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const done = await action.run(() =>
      request(ConsoleRecordPrivacyRequestDocument, {
        input: {
          type,
          channel,
          subjectId: subjectId.trim() || null,
          requesterContact: requesterContact.trim() || null,
          // The day it reached us, at noon UTC so that it is that day on every calendar nearby.
          receivedAt: receivedOn ? `${receivedOn}T12:00:00Z` : null,
          notes: notes.trim() || null,
        },
      }),
    );
    if (done) {
      setRecorded(true);
      onRecorded();
    }
  };

  return (
    <form onSubmit={submit} className="editor">
      <h2>Record a request</h2>
      <label>
        Type
        <select value={type} onChange={(e) => setType(e.target.value as PrivacyRequestType)}>
          {TYPES.map((t) => (
            <option key={t.value} value={t.value}>
              {t.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Received by
        <select value={channel} onChange={(e) => setChannel(e.target.value as PrivacyRequestChannel)}>
          <option value="LETTER">Post</option>
          <option value="TELEPHONE">Telephone</option>
          <option value="EMAIL">Email</option>
        </select>
      </label>
      <label>
        Received on (leave empty for today)
        <input type="date" value={receivedOn} onChange={(e) => setReceivedOn(e.target.value)} />
      </label>
      <label>
        Account id (when the account was found; see Users)
        <input value={subjectId} onChange={(e) => setSubjectId(e.target.value)} />
      </label>
      <label>
        How to reach the requester (needed when no account is named)
        <input value={requesterContact} onChange={(e) => setRequesterContact(e.target.value)} />
      </label>
      <label>
        Notes
        <textarea value={notes} onChange={(e) => setNotes(e.target.value)} />
      </label>
      <button type="submit" disabled={action.busy}>
        Record the request
      </button>
      <ErrorMessage error={action.error} />
      {recorded && <Notice>Recorded.</Notice>}
    </form>
  );
}
