import { useEffect, useState, type FormEvent } from "react";
import type { SignedInUser } from "../app";
import { request } from "../api/client";
import { ErrorMessage, Notice, PageTitle, Pager, useAction, useCursorPages, When } from "../components/common";
import {
  ConsoleSetUserRoleDocument,
  ConsoleUpdateUserDocument,
  ConsoleUserDocument,
  ConsoleUsersDocument,
  type Role,
  type UserFieldsFragment,
} from "../generated/graphql";
import { Link, useLocation } from "../lib/router";

const BASE = "/console/users";
const ROLES: Role[] = ["CUSTOMER", "SUPPORT", "MARKETING", "SECURITY", "ADMIN"];

/** Users: find by email or name, open one, correct their details at their request, change the role (ADMIN). */
export function UsersPage({ user }: { user: SignedInUser }) {
  const { pathname, search } = useLocation();
  const id = pathname.slice(BASE.length).replace(/^\//, "");
  return (
    <section>
      <PageTitle>Users</PageTitle>
      {id ? <UserDetails id={decodeURIComponent(id)} me={user} /> : <UserSearch initial={search.get("q") ?? ""} />}
    </section>
  );
}

function UserSearch({ initial }: { initial: string }) {
  const [query, setQuery] = useState(initial);
  const [search, setSearch] = useState(initial);
  const pages = useCursorPages(
    (after) => request(ConsoleUsersDocument, { first: 20, after, search: search.trim() || null }).then((d) => d.users),
    [search],
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSearch(query);
    history.replaceState(null, "", query ? `${BASE}?q=${encodeURIComponent(query)}` : BASE);
  };
  return (
    <>
      <form role="search" className="toolbar" onSubmit={submit}>
        <label className="inline">
          Email or name
          <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} />
        </label>
        <button type="submit">Find</button>
      </form>
      <p className="hint">Each account listed or opened is recorded in the audit log.</p>
      <ErrorMessage error={pages.error} />
      <div className="table-wrap">
        <table>
          <caption>Accounts, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {pages.nodes.length === 0 && !pages.loading && (
              <tr>
                <td colSpan={4}>No accounts match.</td>
              </tr>
            )}
            {pages.nodes.map((u) => (
              <tr key={u.id}>
                <th scope="row">
                  <Link href={`${BASE}/${encodeURIComponent(u.id)}`}>{u.email}</Link>
                </th>
                <td>{u.name}</td>
                <td>{u.role.toLowerCase()}</td>
                <td>
                  <When at={u.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager pages={pages} label="Accounts" />
    </>
  );
}

/** An optional text field of the correction form: empty clears it. */
const FIELDS = [
  ["name", "Name"],
  ["email", "Email"],
  ["organisation", "Organisation"],
  ["organisationUrl", "Organisation website"],
  ["jobTitle", "Job title"],
  ["referralSource", "How they heard of us"],
  ["phone", "Phone (international form, e.g. +44 20 7946 0000)"],
  ["fax", "Fax (international form)"],
] as const;
type FieldName = (typeof FIELDS)[number][0];

function UserDetails({ id, me }: { id: string; me: SignedInUser }) {
  const [user, setUser] = useState<UserFieldsFragment | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    request(ConsoleUserDocument, { id }).then((d) => setUser(d.user), setError);
  }, [id]);
  if (error) {
    return (
      <>
        <p>
          <Link href={BASE}>Find another account</Link>
        </p>
        <ErrorMessage error={error} />
      </>
    );
  }
  if (!user) return <p className="loading">Loading…</p>;
  return (
    <>
      <p>
        <Link href={BASE}>Find another account</Link>
      </p>
      <h2>{user.email}</h2>
      <p>
        Account {user.id}, {user.role.toLowerCase()}, created <When at={user.createdAt} />.
      </p>
      <Correction user={user} onSaved={setUser} />
      {me.role === "ADMIN" && <RoleChange user={user} me={me} onSaved={setUser} />}
    </>
  );
}

function Correction({ user, onSaved }: { user: UserFieldsFragment; onSaved(u: UserFieldsFragment): void }) {
  const initial = Object.fromEntries(FIELDS.map(([name]) => [name, user[name] ?? ""])) as Record<FieldName, string>;
  const [values, setValues] = useState(initial);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    // Only what changed is sent (and recorded in the audit log); an emptied optional field is cleared.
    const input: Record<string, string | null> = {};
    for (const [name] of FIELDS) {
      if (values[name] !== initial[name])
        input[name] = values[name].trim() === "" && name !== "name" && name !== "email" ? null : values[name];
    }
    if (Object.keys(input).length === 0) return;
    const result = await action.run(() => request(ConsoleUpdateUserDocument, { id: user.id, input }));
    if (result) {
      onSaved(result.updateUser);
      setSaved(true);
    }
  };
  return (
    <form onSubmit={submit} className="editor">
      <h3>Correct their details (at their request)</h3>
      {FIELDS.map(([name, label]) => (
        <label key={name}>
          {label}
          <input
            type={name === "email" ? "email" : "text"}
            required={name === "name" || name === "email"}
            value={values[name]}
            onChange={(e) => setValues({ ...values, [name]: e.target.value })}
          />
        </label>
      ))}
      <button type="submit" disabled={action.busy}>
        Save the correction
      </button>
      <ErrorMessage error={action.error} />
      {saved && <Notice>Saved, and recorded in the audit log.</Notice>}
    </form>
  );
}

function RoleChange({
  user,
  me,
  onSaved,
}: {
  user: UserFieldsFragment;
  me: SignedInUser;
  onSaved(u: UserFieldsFragment): void;
}) {
  const [role, setRole] = useState<Role>(user.role);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    const result = await action.run(() => request(ConsoleSetUserRoleDocument, { userId: user.id, role }));
    if (result) {
      onSaved(result.setUserRole);
      setSaved(true);
    }
  };
  if (user.id === me.id) return <p className="hint">You cannot change your own role.</p>;
  return (
    <form onSubmit={submit} className="toolbar">
      <label className="inline">
        Role
        <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r.toLowerCase()}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={action.busy || role === user.role}>
        Change role
      </button>
      <ErrorMessage error={action.error} />
      {saved && <Notice>The role is now {user.role.toLowerCase()}.</Notice>}
    </form>
  );
}
