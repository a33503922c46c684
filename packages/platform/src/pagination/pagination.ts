import type { ObjectLiteral, SelectQueryBuilder } from "typeorm";
import { ValidationException } from "../errors/domain.exception";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Relay-style forward pagination arguments. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Connection<T> {
  edges: Edge<T>[];
  nodes: T[];
  pageInfo: PageInfo;
}

/** Cursors are opaque to clients: a versioned, base64url-encoded row id. */
export function encodeCursor(id: string): string {
  return Buffer.from(`c1:${id}`, "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  if (!text.startsWith("c1:") || text.length < 4 || text.length > 100) {
    throw new ValidationException([{ field: "after", message: "is not a cursor this API returned" }]);
  }
  return text.slice(3);
}

/** Validates `first` (1–100, default 20) and decodes `after`. */
export function readPageArgs(args: PageArgs): { first: number; afterId?: string } {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new ValidationException([{ field: "first", message: `must be between 1 and ${MAX_PAGE_SIZE}` }]);
  }
  return { first, afterId: args.after ? decodeCursor(args.after) : undefined };
}

/**
 * Keyset pagination over a query whose rows have time-ordered ids ({@link newId}). Fetches one
 * row more than asked to learn whether there is a next page, so it costs a single query.
 */
export async function paginate<T extends ObjectLiteral & { id: string }>(
  query: SelectQueryBuilder<T>,
  args: PageArgs,
  order: "ASC" | "DESC" = "DESC",
): Promise<Connection<T>> {
  const { first, afterId } = readPageArgs(args);
  const alias = query.alias;
  if (afterId) {
    query.andWhere(`${alias}.id ${order === "DESC" ? "<" : ">"} :afterId`, { afterId });
  }
  const rows = await query
    .orderBy(`${alias}.id`, order)
    .take(first + 1)
    .getMany();
  return toConnection(rows.slice(0, first), rows.length > first);
}

/**
 * Wraps rows already fetched in a connection. The edges (a cursor for every row) are made when
 * first read: most pages are read through `nodes`, and a page of 50 orders would otherwise encode
 * 50 cursors nobody asked for.
 */
export function toConnection<T extends { id: string }>(rows: T[], hasNextPage: boolean): Connection<T> {
  let edges: Edge<T>[] | undefined;
  return {
    get edges() {
      return (edges ??= rows.map((node) => ({ cursor: encodeCursor(node.id), node })));
    },
    nodes: rows,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: false,
      startCursor: rows.length > 0 ? encodeCursor(rows[0]!.id) : null,
      endCursor: rows.length > 0 ? encodeCursor(rows[rows.length - 1]!.id) : null,
    },
  };
}
