import { useState, type FormEvent, type ReactNode } from "react";
import { instant } from "../lib/instant";
import { ErrorMessage, PageTitle, Pager, useCursorPages, When, type Page } from "./common";

/** A filter of a log beside its time range: free text, or one of a list (empty means any). */
export interface LogFilterField {
  name: string;
  label: string;
  options?: readonly { value: string; label: string }[];
}

/** A column after "When": its header and what a row shows in it. */
export interface LogColumn<T> {
  header: string;
  cell(row: T): ReactNode;
}

/** What a log's query gets: the filters as typed (trimmed), and the time range as instants. */
export interface LogQuery {
  values: Record<string, string | null>;
  from: string | null;
  to: string | null;
}

/**
 * One log page (the audit log, the security log): its filters with a From–Before time range,
 * then a table, newest first, of rows with their time first, paged with the schema's cursors.
 * Filters take effect on "Filter", so typing does not send a query per key.
 */
export function LogView<T extends { id: string; at: string }>({
  title,
  fields,
  load,
  caption,
  empty,
  columns,
}: {
  title: string;
  fields: readonly LogFilterField[];
  load(query: LogQuery, after: string | null): Promise<Page<T>>;
  caption: string;
  empty: string;
  columns: readonly LogColumn<T>[];
}) {
  const blank = Object.fromEntries([...fields.map((f) => [f.name, ""]), ["from", ""], ["to", ""]]) as Record<
    string,
    string
  >;
  const [filters, setFilters] = useState(blank);
  const [draft, setDraft] = useState(blank);
  const pages = useCursorPages(
    (after) =>
      load(
        {
          values: Object.fromEntries(fields.map((f) => [f.name, filters[f.name]!.trim() || null])),
          from: instant(filters.from!),
          to: instant(filters.to!),
        },
        after,
      ),
    [filters],
  );
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters(draft);
  };
  const set = (name: string) => (e: { target: { value: string } }) => setDraft({ ...draft, [name]: e.target.value });
  return (
    <section>
      <PageTitle>{title}</PageTitle>
      <form className="toolbar" onSubmit={apply} aria-label="Filters">
        {fields.map((field) => (
          <label className="inline" key={field.name}>
            {field.label}
            {field.options ? (
              <select value={draft[field.name]} onChange={set(field.name)}>
                <option value="">Any</option>
                {field.options.map((option) => (
                  <option key={option.value} value={option.value}>
                    {option.label}
                  </option>
                ))}
              </select>
            ) : (
              <input value={draft[field.name]} onChange={set(field.name)} />
            )}
          </label>
        ))}
        <label className="inline">
          From
          <input type="datetime-local" value={draft.from} onChange={set("from")} />
        </label>
        <label className="inline">
          Before
          <input type="datetime-local" value={draft.to} onChange={set("to")} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorMessage error={pages.error} />
      <div className="table-wrap">
        <table>
          <caption>{caption}</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              {columns.map((column) => (
                <th scope="col" key={column.header}>
                  {column.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {pages.nodes.length === 0 && !pages.loading && (
              <tr>
                <td colSpan={columns.length + 1}>{empty}</td>
              </tr>
            )}
            {pages.nodes.map((row) => (
              <tr key={row.id}>
                <th scope="row">
                  <When at={row.at} />
                </th>
                {columns.map((column) => (
                  <td key={column.header}>{column.cell(row)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager pages={pages} label={title} />
    </section>
  );
}
