/** What each of the gateway's error codes means to a person using the console. */
const WORDS: Record<string, string> = {
  BAD_USER_INPUT: "Some of what you entered is not valid.",
  UNAUTHENTICATED: "You are not signed in, or your session has ended. Please sign in again.",
  FORBIDDEN: "Your role does not allow this.",
  NOT_FOUND: "It was not found: it may have been deleted, or the link is wrong.",
  CONFLICT: "This cannot be done in its current state (someone may have changed it meanwhile). Reload and try again.",
  RATE_LIMITED: "Too many attempts.",
  PAYMENT_DECLINED: "The payment was declined.",
  SERVICE_UNAVAILABLE: "The service is unavailable just now. Please try again in a moment.",
  GRAPHQL_VALIDATION_FAILED: "The console asked for something this server does not offer; it may need updating.",
  GRAPHQL_PARSE_FAILED: "The console sent a request the server could not read; it may need updating.",
  BAD_REQUEST: "The server could not understand the request.",
  MFA_REQUIRED: "Enter the code from your authenticator app to finish signing in.",
  MFA_ENROLMENT_REQUIRED: "This server asks staff for two-factor authentication: turn it on to continue.",
  NETWORK: "The server could not be reached. Check your connection and try again.",
  BAD_RESPONSE: "The server sent an answer the console could not read. Please try again.",
  INTERNAL_SERVER_ERROR: "Something went wrong on the server. It has been logged; please try again.",
};

/** Reasons that say more than their code. */
const REASON_WORDS: Record<string, string> = {
  INVALID_CREDENTIALS: "The email address or password is not correct.",
  INVALID_MFA_CODE: "That code is not right. Enter the code the app shows now, or an unused recovery code.",
  INVALID_MFA_CHALLENGE: "The sign-in took too long. Please enter your email and password again.",
};

/** The field names of the inputs, as the forms label them. */
const FIELD_NAMES: Record<string, string> = {
  email: "Email",
  password: "Password",
  subject: "Subject",
  bodyText: "Text",
  bodyHtml: "HTML",
  reason: "Reason",
  months: "Months",
  name: "Name",
  contactEmail: "Contact email",
  requesterContact: "Requester contact",
  receivedAt: "Received",
  subjectId: "Account id",
  from: "From",
  to: "To",
  phone: "Phone",
  fax: "Fax",
};

/** `input.email` → "Email". */
export function fieldLabel(path: string): string {
  const last =
    path
      .split(".")
      .filter((part) => !/^\d+$/.test(part))
      .pop() ?? path;
  return FIELD_NAMES[last] ?? last;
}

/**
 * The sentence shown for an error answer: the code in words, then each invalid field with the
 * server's reason, then how long to wait when the server said.
 */
export function describeError(
  code: string,
  serverMessage: string,
  fields: readonly { field: string; message: string }[] = [],
  retryAfterSeconds?: number,
  reason?: string,
): string {
  const words =
    (reason && REASON_WORDS[reason]) ?? WORDS[code] ?? `The server refused this (${code}): ${serverMessage}`;
  const parts = [words];
  if (fields.length > 0) parts.push(fields.map((f) => `${fieldLabel(f.field)}: ${f.message}.`).join(" "));
  else if (code === "CONFLICT" || code === "NOT_FOUND" || code === "BAD_USER_INPUT") parts.push(serverMessage);
  if (retryAfterSeconds) parts.push(`Try again in ${retryAfterSeconds} seconds.`);
  return parts.join(" ");
}
