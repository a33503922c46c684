import { useEffect, useState, type FormEvent } from "react";
import { request } from "../api/client";
import { ErrorMessage, Notice, PageTitle, Pager, useAction, useCursorPages, When } from "../components/common";
import {
  ConsoleCampaignDocument,
  ConsoleCampaignPreviewDocument,
  ConsoleCampaignsDocument,
  ConsoleCreateCampaignDocument,
  ConsoleSendCampaignDocument,
  ConsoleSendTestCampaignDocument,
  ConsoleUpdateCampaignDocument,
  type CampaignFieldsFragment,
  type CampaignStatus,
  type ConsoleCampaignPreviewQuery,
  type Topic,
} from "../generated/graphql";
import { Link, navigate, useLocation } from "../lib/router";

const TOPICS: { value: Topic; label: string }[] = [
  { value: "NEWSLETTER", label: "Newsletter" },
  { value: "PRODUCT_UPDATES", label: "Product updates" },
  { value: "SPECIAL_OFFERS", label: "Special offers" },
  { value: "COMPANY_INFO", label: "Company information" },
  { value: "PARTNER_OFFERS", label: "Partner offers" },
];
const topicLabel = (topic: Topic) => TOPICS.find((t) => t.value === topic)?.label ?? topic;
const BASE = "/console/campaigns";
/** How often a campaign being sent is asked for its progress. */
const PROGRESS_POLL_MS = 1000;

/**
 * Campaigns: the list, a form to write one, its preview as recipients get it with the recipient
 * count, sending, and the progress of a send. The campaign's id is in the address
 * (/console/campaigns/<id>), so its progress keeps going across a reload.
 */
export function CampaignsPage() {
  const { pathname } = useLocation();
  const rest = pathname.slice(BASE.length).replace(/^\//, "");
  return (
    <section>
      <PageTitle>Campaigns</PageTitle>
      {rest === "new" ? <CampaignEditor /> : rest ? <CampaignView id={decodeURIComponent(rest)} /> : <CampaignList />}
    </section>
  );
}

function CampaignList() {
  const [status, setStatus] = useState<CampaignStatus | "">("");
  const pages = useCursorPages(
    (after) => request(ConsoleCampaignsDocument, { first: 20, after, status: status || null }).then((d) => d.campaigns),
    [status],
  );
  return (
    <>
      <div className="toolbar">
        <Link href={`${BASE}/new`} className="button-link">
          Write a campaign
        </Link>
        <label className="inline">
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value as CampaignStatus | "")}>
            <option value="">Any</option>
            <option value="DRAFT">Draft</option>
            <option value="SENDING">Sending</option>
            <option value="SENT">Sent</option>
          </select>
        </label>
      </div>
      <ErrorMessage error={pages.error} />
      <div className="table-wrap">
        <table>
          <caption>Campaigns, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Subject</th>
              <th scope="col">Topic</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Sent / skipped / failed</th>
            </tr>
          </thead>
          <tbody>
            {pages.nodes.length === 0 && !pages.loading && (
              <tr>
                <td colSpan={5}>No campaigns yet.</td>
              </tr>
            )}
            {pages.nodes.map((c) => (
              <tr key={c.id}>
                <th scope="row">
                  <Link href={`${BASE}/${encodeURIComponent(c.id)}`}>{c.subject}</Link>
                </th>
                <td>{topicLabel(c.topic)}</td>
                <td>{c.status.toLowerCase()}</td>
                <td>
                  <When at={c.createdAt} />
                </td>
                <td>
                  {c.status === "DRAFT"
                    ? "—"
                    : `${c.sentCount} / ${c.skippedCount} / ${c.failedCount} of ${c.recipientCount}`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager pages={pages} label="Campaigns" />
    </>
  );
}

/** Write a new campaign, or change a draft. */
function CampaignEditor({
  draft,
  onSaved,
}: {
  draft?: CampaignFieldsFragment;
  onSaved?(c: CampaignFieldsFragment): void;
}) {
  const [topic, setTopic] = useState<Topic>(draft?.topic ?? "NEWSLETTER");
  const [subject, setSubject] = useState(draft?.subject ?? "");
  const [bodyText, setBodyText] = useState(draft?.bodyText ?? "");
  const [bodyHtml, setBodyHtml] = useState(draft?.bodyHtml ?? "");
  const action = useAction();

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const input = { topic, subject, bodyText, bodyHtml: bodyHtml.trim() ? bodyHtml : null };
    const saved = await action.run(async () =>
      draft
        ? (await request(ConsoleUpdateCampaignDocument, { id: draft.id, input })).updateCampaign
        : (await request(ConsoleCreateCampaignDocument, { input })).createCampaign,
    );
    if (!saved) return;
    if (onSaved) onSaved(saved);
    else navigate(`${BASE}/${encodeURIComponent(saved.id)}`);
  };

  return (
    <form onSubmit={save} className="editor">
      <h2>{draft ? "Change the draft" : "Write a campaign"}</h2>
      <label>
        Topic (sent to everyone who granted it by email, at send time)
        <select value={topic} onChange={(e) => setTopic(e.target.value as Topic)}>
          {TOPICS.map((t) => (
            <option key={t.value} value={t.value}>
              {t.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Subject
        <input required maxLength={200} value={subject} onChange={(e) => setSubject(e.target.value)} />
      </label>
      <label>
        Text (the unsubscribe footer is added)
        <textarea required value={bodyText} onChange={(e) => setBodyText(e.target.value)} />
      </label>
      <label>
        HTML (optional; the footer is added)
        <textarea value={bodyHtml} onChange={(e) => setBodyHtml(e.target.value)} />
      </label>
      <button type="submit" disabled={action.busy}>
        {draft ? "Save the draft" : "Save as draft and preview"}
      </button>
      <ErrorMessage error={action.error} />
    </form>
  );
}

function CampaignView({ id }: { id: string }) {
  const [campaign, setCampaign] = useState<CampaignFieldsFragment | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState(false);

  // Load, and while it is being sent, ask again every second: the bar follows the worker.
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = () =>
      request(ConsoleCampaignDocument, { id }).then(
        (data) => {
          if (!live) return;
          setCampaign(data.campaign ?? null);
          setError(data.campaign ? null : new Error("No campaign has this id."));
          if (data.campaign?.status === "SENDING") timer = setTimeout(load, PROGRESS_POLL_MS);
        },
        (failure: unknown) => live && setError(failure),
      );
    void load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [id, campaign?.status]);

  if (error) return <ErrorMessage error={error} />;
  if (!campaign) return <p className="loading">Loading…</p>;
  return (
    <>
      <p>
        <Link href={BASE}>All campaigns</Link>
      </p>
      <h2>{campaign.subject}</h2>
      <p>
        {topicLabel(campaign.topic)} · {campaign.status.toLowerCase()} · created <When at={campaign.createdAt} />
      </p>
      {campaign.status === "DRAFT" ? (
        editing ? (
          <CampaignEditor
            draft={campaign}
            onSaved={(saved) => {
              setCampaign(saved);
              setEditing(false);
            }}
          />
        ) : (
          <Draft campaign={campaign} onEdit={() => setEditing(true)} onSent={setCampaign} />
        )
      ) : (
        <Progress campaign={campaign} />
      )}
    </>
  );
}

function Draft({
  campaign,
  onEdit,
  onSent,
}: {
  campaign: CampaignFieldsFragment;
  onEdit(): void;
  onSent(c: CampaignFieldsFragment): void;
}) {
  const [preview, setPreview] = useState<ConsoleCampaignPreviewQuery | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState(false);
  const [tested, setTested] = useState<string | null>(null);
  const action = useAction();

  useEffect(() => {
    request(ConsoleCampaignPreviewDocument, { id: campaign.id }).then(setPreview, setError);
  }, [campaign]);

  const send = async () => {
    const sent = await action.run(
      async () => (await request(ConsoleSendCampaignDocument, { id: campaign.id })).sendCampaign,
    );
    if (sent) onSent(sent);
  };
  const sendTest = async () => {
    const message = await action.run(
      async () => (await request(ConsoleSendTestCampaignDocument, { id: campaign.id })).sendTestCampaign,
    );
    if (message) setTested(message.to);
  };

  const count = preview?.campaign?.eligibleRecipientCount;
  return (
    <>
      <ErrorMessage error={error} />
      {preview && (
        <>
          <p className="recipients" data-testid="eligible-recipients">
            {count === 1 ? "1 person" : `${count ?? 0} people`} would get it if it were sent now.
          </p>
          <h3>Preview: text</h3>
          <pre className="preview" data-testid="preview-text">
            {preview.preview.text}
          </pre>
          {preview.preview.html && (
            <>
              <h3>Preview: HTML</h3>
              {/* No scripts, no same-origin access: the mail's HTML shown as a recipient's client would. */}
              <iframe className="preview" title="HTML preview" sandbox="" srcDoc={preview.preview.html} />
            </>
          )}
          <details>
            <summary>The footer a soft opt-in recipient (a customer who never ticked the box) reads</summary>
            <pre className="preview">{preview.softOptInPreview.text.slice(campaign.bodyText.length).trim()}</pre>
          </details>
        </>
      )}
      <div className="row-actions">
        <button type="button" className="secondary" onClick={onEdit} disabled={action.busy}>
          Change the draft
        </button>
        <button type="button" className="secondary" onClick={sendTest} disabled={action.busy}>
          Send a test to myself
        </button>
        {!confirming ? (
          <button type="button" onClick={() => setConfirming(true)} disabled={action.busy || !preview}>
            Send…
          </button>
        ) : (
          <>
            <button type="button" className="danger" onClick={send} disabled={action.busy}>
              Send to {count ?? 0} {count === 1 ? "person" : "people"} now
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </>
        )}
      </div>
      {tested && <Notice>A test was sent to {tested}.</Notice>}
      <ErrorMessage error={action.error} />
    </>
  );
}

function Progress({ campaign }: { campaign: CampaignFieldsFragment }) {
  const done = campaign.sentCount + campaign.skippedCount + campaign.failedCount;
  const total = campaign.recipientCount;
  const percent = total === 0 ? (campaign.status === "SENT" ? 100 : 0) : Math.round((done / total) * 100);
  return (
    <div className="progress">
      <label htmlFor="send-progress">
        {campaign.status === "SENT" ? "Sent" : "Sending"}: {percent}%
      </label>
      <progress id="send-progress" max={100} value={percent} data-testid="send-progress">
        {percent}%
      </progress>
      <dl className="totals" aria-live="polite">
        <div>
          <dt>Sent</dt>
          <dd data-testid="sent-count">{campaign.sentCount}</dd>
        </div>
        <div>
          <dt>Skipped</dt>
          <dd>{campaign.skippedCount}</dd>
        </div>
        <div>
          <dt>Failed</dt>
          <dd>{campaign.failedCount}</dd>
        </div>
        <div>
          <dt>Recipients</dt>
          <dd>{total}</dd>
        </div>
      </dl>
      {campaign.completedAt && (
        <p>
          Finished <When at={campaign.completedAt} />.
        </p>
      )}
      <p className="hint">Skipped: withdrawn, suppressed or closed just before sending.</p>
    </div>
  );
}
