import type { DocumentTypeDecoration } from "@graphql-typed-document-node/core";
import { persistedDocumentIds } from "../generated/persisted-documents";
import { describeError } from "../lib/error-words";

/** One invalid input field of a BAD_USER_INPUT answer. */
export interface FieldError {
  field: string;
  message: string;
}

/** A GraphQL error answer, in the words the console shows for it. */
export class ApiError extends Error {
  constructor(
    /** The gateway's `extensions.code`, or NETWORK when no answer came. */
    readonly code: string,
    /** The server's own message, kept for the details line. */
    readonly serverMessage: string,
    readonly fields: FieldError[] = [],
    readonly retryAfterSeconds?: number,
    /** The server's `extensions.reason`, where it gives one (INVALID_CREDENTIALS…). */
    readonly reason?: string,
    /** Every extension the server sent (MFA_REQUIRED's `challenge`…). */
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(describeError(code, serverMessage, fields, retryAfterSeconds, reason));
    this.name = "ApiError";
  }
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: {
    message: string;
    extensions?: { code?: string; fields?: FieldError[]; retryAfterSeconds?: number; reason?: string } & Record<
      string,
      unknown
    >;
  }[];
}

/** Called when the session is gone (UNAUTHENTICATED), so the app can show the sign-in page. */
let onSignedOut: () => void = () => undefined;
export function whenSignedOut(listener: () => void): void {
  onSignedOut = listener;
}

/** Called when the server wants this staff account to turn two-factor on first (STAFF_MFA). */
let onMfaEnrolmentRequired: () => void = () => undefined;
export function whenMfaEnrolmentRequired(listener: () => void): void {
  onMfaEnrolmentRequired = listener;
}

/** One POST to /graphql, its answer parsed; a failed fetch or a body that is not JSON throws. */
async function post<TResult>(payload: Record<string, unknown>): Promise<GraphQLResponse<TResult>> {
  let response: Response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "content-type": "application/json",
        accept: "application/graphql-response+json, application/json",
        "apollo-require-preflight": "true",
      },
      body: JSON.stringify(payload),
    });
  } catch (error) {
    throw new ApiError("NETWORK", error instanceof Error ? error.message : String(error));
  }
  try {
    return (await response.json()) as GraphQLResponse<TResult>;
  } catch {
    throw new ApiError(response.status === 429 ? "RATE_LIMITED" : "BAD_RESPONSE", `HTTP ${response.status}`);
  }
}

/**
 * Sends one typed operation to the gateway's /graphql on this origin, with the session cookie.
 * The `apollo-require-preflight` header is what Apollo Server's CSRF prevention asks of a browser
 * client. The operation goes by its trusted document id, so the console works on a gateway that
 * runs only trusted documents (SITE_TRUSTED_DOCUMENTS_ONLY); a gateway that does not know the id
 * (a console served by another build, as in development) gets the text once instead. Any error
 * answer (even alongside partial data) throws an {@link ApiError}.
 */
export async function request<TResult, TVariables>(
  document: DocumentTypeDecoration<TResult, TVariables> & { toString(): string },
  variables?: TVariables,
): Promise<TResult> {
  const documentId = persistedDocumentIds.get(document);
  let body = await post<TResult>(
    documentId
      ? { documentId, variables: variables ?? {} }
      : { query: document.toString(), variables: variables ?? {} },
  );
  if (documentId && body.errors?.[0]?.extensions?.code === "PERSISTED_QUERY_NOT_FOUND") {
    body = await post<TResult>({ query: document.toString(), variables: variables ?? {} });
  }
  const first = body.errors?.[0];
  if (first) {
    const code = first.extensions?.code ?? "INTERNAL_SERVER_ERROR";
    if (code === "UNAUTHENTICATED") onSignedOut();
    if (code === "MFA_ENROLMENT_REQUIRED") onMfaEnrolmentRequired();
    const { fields = [], retryAfterSeconds, reason } = first.extensions ?? {};
    throw new ApiError(code, first.message, fields, retryAfterSeconds, reason, first.extensions ?? {});
  }
  if (!body.data) throw new ApiError("BAD_RESPONSE", "an answer without data");
  return body.data;
}
