import { useState, type FormEvent } from "react";
import { request } from "../api/client";
import { ErrorMessage, Notice, PageTitle, Pager, useAction, useCursorPages, When } from "../components/common";
import {
  ConsoleCreatePartnerDocument,
  ConsoleDisclosuresDocument,
  ConsoleIssuePartnerApiKeyDocument,
  ConsolePartnersDocument,
  ConsoleRevokePartnerApiKeyDocument,
  ConsoleSetPartnerActiveDocument,
  type PartnerFieldsFragment,
} from "../generated/graphql";

/** Partners: add one, turn it on or off, issue (shown once) and revoke keys, see its disclosures. */
export function PartnersPage() {
  const pages = useCursorPages(
    (after) => request(ConsolePartnersDocument, { first: 20, after }).then((d) => d.partners),
    [],
  );
  const replace = (changed: PartnerFieldsFragment) =>
    pages.replace((nodes) => nodes.map((n) => (n.id === changed.id ? changed : n)));
  return (
    <section>
      <PageTitle>Partners</PageTitle>
      <CreatePartner onCreated={pages.reload} />
      <ErrorMessage error={pages.error} />
      {pages.nodes.length === 0 && !pages.loading && <p>No partners yet.</p>}
      {pages.nodes.map((partner) => (
        <PartnerCard key={partner.id} partner={partner} onChanged={replace} />
      ))}
      <Pager pages={pages} label="Partners" />
    </section>
  );
}

function CreatePartner({ onCreated }: { onCreated(): void }) {
  const [name, setName] = useState("");
  const [contactEmail, setContactEmail] = useState("");
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const created = await action.run(() => request(ConsoleCreatePartnerDocument, { input: { name, contactEmail } }));
    if (created) {
      setName("");
      setContactEmail("");
      onCreated();
    }
  };
  return (
    <form onSubmit={submit} className="toolbar" aria-label="Add a partner">
      <label className="inline">
        Name
        <input required value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label className="inline">
        Contact email
        <input type="email" required value={contactEmail} onChange={(e) => setContactEmail(e.target.value)} />
      </label>
      <button type="submit" disabled={action.busy}>
        Add partner
      </button>
      <ErrorMessage error={action.error} />
    </form>
  );
}

function PartnerCard({
  partner,
  onChanged,
}: {
  partner: PartnerFieldsFragment;
  onChanged(p: PartnerFieldsFragment): void;
}) {
  const [secret, setSecret] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [showDisclosures, setShowDisclosures] = useState(false);
  const action = useAction();
  const headingId = `partner-${partner.id}`;

  const toggle = async () => {
    const changed = await action.run(() =>
      request(ConsoleSetPartnerActiveDocument, { partnerId: partner.id, active: !partner.active }),
    );
    if (changed) onChanged(changed.setPartnerActive);
  };
  const issue = async () => {
    const key = await action.run(() => request(ConsoleIssuePartnerApiKeyDocument, { partnerId: partner.id }));
    if (!key) return;
    setSecret(key.issuePartnerApiKey.secret);
    setCopied(false);
    const now = new Date().toISOString();
    onChanged({
      ...partner,
      apiKeys: [
        ...(partner.apiKeys ?? []),
        {
          id: key.issuePartnerApiKey.id,
          prefix: key.issuePartnerApiKey.prefix,
          createdAt: now,
          lastUsedAt: null,
          revokedAt: null,
        },
      ],
    });
  };
  const revoke = async (id: string) => {
    const done = await action.run(() => request(ConsoleRevokePartnerApiKeyDocument, { id }));
    if (done) {
      const now = new Date().toISOString();
      onChanged({
        ...partner,
        apiKeys: (partner.apiKeys ?? []).map((k) => (k.id === id ? { ...k, revokedAt: now } : k)),
      });
    }
  };
  const copy = async () => {
    if (!secret) return;
    await navigator.clipboard.writeText(secret);
    setCopied(true);
  };

  return (
    <article className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>
        {partner.name} <span className="hint">({partner.active ? "active" : "inactive"})</span>
      </h2>
      <p>
        {partner.contactEmail} · added <When at={partner.createdAt} />
      </p>
      <div className="row-actions">
        <button type="button" className="secondary" onClick={toggle} disabled={action.busy}>
          {partner.active ? "Deactivate" : "Activate"}
        </button>
        <button type="button" onClick={issue} disabled={action.busy || !partner.active}>
          Issue an API key
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() => setShowDisclosures((s) => !s)}
          aria-expanded={showDisclosures}
        >
          Disclosures
        </button>
      </div>
      <ErrorMessage error={action.error} />
      {secret && (
        <div className="new-key" role="region" aria-label="New API key">
          <p>
            <strong>The new key, shown this once.</strong> Copy it now and send it to the partner safely; only its hash
            is kept.
          </p>
          <p className="secret" data-testid="api-key-secret">
            {secret}
          </p>
          <div className="row-actions">
            <button type="button" onClick={copy}>
              Copy the key
            </button>
            <button type="button" className="secondary" onClick={() => setSecret(null)}>
              I have copied it: hide it
            </button>
          </div>
          {copied && <Notice>Copied.</Notice>}
        </div>
      )}
      {(partner.apiKeys ?? []).length > 0 && (
        <div className="table-wrap">
          <table>
            <caption>API keys of {partner.name}</caption>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Issued</th>
                <th scope="col">Last used</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {(partner.apiKeys ?? []).map((key) => (
                <tr key={key.id}>
                  <th scope="row">
                    <code>{key.prefix}…</code>
                  </th>
                  <td>
                    <When at={key.createdAt} />
                  </td>
                  <td>
                    <When at={key.lastUsedAt} />
                  </td>
                  <td>
                    {key.revokedAt ? (
                      <>
                        revoked <When at={key.revokedAt} />
                      </>
                    ) : (
                      <button type="button" className="danger" onClick={() => revoke(key.id)} disabled={action.busy}>
                        Revoke {key.prefix}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {showDisclosures && <Disclosures partnerId={partner.id} name={partner.name} />}
    </article>
  );
}

function Disclosures({ partnerId, name }: { partnerId: string; name: string }) {
  const pages = useCursorPages(
    (after) => request(ConsoleDisclosuresDocument, { partnerId, first: 20, after }).then((d) => d.disclosures),
    [partnerId],
  );
  return (
    <>
      <ErrorMessage error={pages.error} />
      <div className="table-wrap">
        <table>
          <caption>Order contacts disclosed to {name}, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Order</th>
              <th scope="col">Fields</th>
              <th scope="col">Purpose</th>
            </tr>
          </thead>
          <tbody>
            {pages.nodes.length === 0 && !pages.loading && (
              <tr>
                <td colSpan={4}>Nothing disclosed.</td>
              </tr>
            )}
            {pages.nodes.map((d) => (
              <tr key={d.id}>
                <th scope="row">
                  <When at={d.at} />
                </th>
                <td>{d.orderNumber}</td>
                <td>{d.fields.map((f) => f.toLowerCase()).join(", ")}</td>
                <td>{d.purpose.toLowerCase().replace(/_/g, " ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager pages={pages} label={`Disclosures to ${name}`} />
    </>
  );
}
