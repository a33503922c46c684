import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { CHANNELS, DomainException, ErrorCode, RequestContext, TOPICS, type Clock } from "@honour/platform";
import {
  CHANNEL_LABELS,
  ConsentActorKind,
  maskEmail,
  TOPIC_DESCRIPTIONS,
  TOPIC_LABELS,
  type ConsentServices,
  type LedgerActor,
  type PreferenceView,
} from "@honour/consent";
import { SESSION_COOKIE, type UsersServices } from "@honour/users";
import type { DataSource } from "typeorm";
import { escapeHtml, isCrossSite, notice, renderPage, sendPage } from "./layout";

/** The preference centre. Every marketing message's footer links to `/preferences`, which leads here. */
export const PREFERENCES_PATH = "/account/preferences";
/** The address in messages already sent (and in the unsubscribe pages before this page existed). */
export const LEGACY_PREFERENCES_PATH = "/preferences";
/** Where the preference centre's own sign-in form posts (both steps, with two-factor on). */
export const PREFERENCES_SIGN_IN_PATH = "/account/preferences/sign-in";
/** Where the expired link's page posts "mail me a fresh link" (the expired token in the body). */
export const PREFERENCES_FRESH_LINK_PATH = "/account/preferences/fresh-link";
/** The privacy policy in force, as a page. */
export const POLICY_PATH = "/privacy-policy";

const ACTIONS: Record<string, string> = { GRANTED: "Yes", WITHDRAWN: "No" };
const METHODS: Record<string, string> = {
  REGISTRATION_FORM: "ticked when you registered",
  SOFT_OPT_IN: "registered without being asked (soft opt-in)",
  PREFERENCE_CENTRE: "preference centre",
  ONE_CLICK_UNSUBSCRIBE: "unsubscribe button of your mail program",
  EMAIL_LINK: "unsubscribe link in a message",
  STAFF_ON_REQUEST: "our staff, at your request",
  ACCOUNT_CLOSED: "account closed",
  PRIVACY_REQUEST: "your privacy request",
};

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
const day = (date: Date) => date.toISOString().slice(0, 10);

/** Whose preferences a request may see and change, and how the ledger names who changed them. */
interface Subject {
  userId: string;
  actor: LedgerActor;
  /** The preference link's token, carried by the form (never in its action, so never in a log). */
  token: string | null;
}

/**
 * The preference centre, server-rendered with no script: every topic on every channel with what
 * it brings, "stop all marketing", the policy version and the person's consent history. Opened by
 * the signed-in person, or from the signed preference link of a marketing message (a token for
 * that person's preferences only: it signs nobody in). GET changes nothing; POST acts, through
 * the same consent service and ledger as the API; a POST from another site is refused.
 */
export async function registerPreferenceCentreRoutes(
  app: FastifyInstance,
  services: { consent: ConsentServices; users: UsersServices },
  dataSource: DataSource,
  clock: Clock,
  options: {
    publicUrl: string;
    /** The session cookie's Secure flag; as the configuration's default (an https public URL) when left out. */
    cookieSecure?: boolean;
  },
): Promise<void> {
  const { consent, users } = services;
  const publicOrigin = new URL(options.publicUrl).origin;
  const cookieSecure = options.cookieSecure ?? options.publicUrl.startsWith("https:");
  const preferencesUrl = `${options.publicUrl}${PREFERENCES_PATH}`;
  const base = (request: FastifyRequest) =>
    new RequestContext(dataSource, { kind: "anonymous" }, clock, dataSource.manager, request.ip, request.id);

  /**
   * The subject of the request, null when there is none (signed out, no link), "invalid" for a bad
   * link and "expired" for one of ours past its expiry.
   */
  async function subjectOf(
    request: FastifyRequest,
    token: string | null,
  ): Promise<Subject | "invalid" | "expired" | null> {
    const ctx = base(request);
    if (token) {
      const link = await consent.unsubscribe.checkPreferenceLink(ctx, token);
      if (link.status === "invalid") return "invalid";
      const user = await users.users.findById(ctx, link.userId);
      if (!user || user.closedAt) return "invalid";
      if (link.status === "expired") return "expired";
      return { userId: user.id, actor: { kind: ConsentActorKind.PREFERENCE_LINK }, token };
    }
    const actor = await users.sessions.resolveActor(ctx, request.cookies[SESSION_COOKIE]);
    if (actor.kind !== "user") return null;
    return { userId: actor.userId, actor: { kind: ConsentActorKind.PERSON }, token: null };
  }

  async function render(request: FastifyRequest, subject: Subject, message = ""): Promise<string> {
    const ctx = base(request);
    const user = await users.users.findById(ctx, subject.userId);
    const [preferences, history, policy] = await Promise.all([
      consent.consent.preferences(ctx, subject.userId),
      consent.consent.history(ctx, subject.userId, { first: 50 }),
      consent.policy.current(ctx),
    ]);
    return renderPage({
      title: "Your communication preferences",
      body:
        message +
        `<p>For ${escapeHtml(maskEmail(user?.email ?? ""))}. Tick what you want from us, on the channels you want it.</p>` +
        preferenceForm(preferences, subject.token) +
        stopAllForm(subject.token) +
        policySection(preferences, policy) +
        historySection(history.nodes),
    });
  }

  function refuse(reply: FastifyReply, status: number, title: string, text: string) {
    return sendPage(reply, status, renderPage({ title, body: `<p>${escapeHtml(text)}</p>` }));
  }

  await app.register(async (scope) => {
    scope.addContentTypeParser(
      "application/x-www-form-urlencoded",
      { parseAs: "string", bodyLimit: 8192 },
      (_request, body, done) => done(null, body),
    );

    // The links already in people's inboxes; the query (the token) goes along.
    scope.get(LEGACY_PREFERENCES_PATH, async (request, reply) => {
      const query = request.url.includes("?") ? request.url.slice(request.url.indexOf("?")) : "";
      return reply
        .code(302)
        .header("location", `${PREFERENCES_PATH}${query}`)
        .header("cache-control", "no-store")
        .header("referrer-policy", "no-referrer")
        .send();
    });

    scope.get<{ Querystring: { token?: string } }>(PREFERENCES_PATH, async (request, reply) => {
      const token = typeof request.query.token === "string" && request.query.token !== "" ? request.query.token : null;
      const subject = await subjectOf(request, token);
      if (subject === "invalid") return refuse(reply, 404, "This link does not work", LINK_INVALID);
      if (subject === "expired") return sendPage(reply, 410, expiredPage(token!));
      if (!subject) return sendPage(reply, 401, signInPage());
      return sendPage(reply, 200, await render(request, subject));
    });

    // The sign-in form of a person who came with neither a session nor a link: the password, then
    // (two-factor on) a code, through the same sign-in as the API's login and completeLogin, with
    // its throttles and security log; the session cookie as login sets it, then back to the page.
    scope.post<{ Body: string | undefined }>(PREFERENCES_SIGN_IN_PATH, async (request, reply) => {
      if (isCrossSite(request.headers, publicOrigin)) {
        return refuse(reply, 403, "This form must be sent from our site", "Nobody was signed in.");
      }
      const form = new URLSearchParams(typeof request.body === "string" ? request.body : "");
      const challenge = form.get("challenge");
      const ctx = base(request);
      const userAgent = request.headers["user-agent"];
      try {
        const { session } = challenge
          ? await users.users.completeLogin(ctx, challenge, (form.get("code") ?? "").trim(), userAgent)
          : await users.users.signIn(ctx, (form.get("email") ?? "").trim(), form.get("password") ?? "", userAgent);
        void reply.setCookie(SESSION_COOKIE, session.token, {
          httpOnly: true,
          sameSite: "lax",
          path: "/",
          secure: cookieSecure,
          expires: session.expiresAt,
        });
        return reply.code(303).header("location", PREFERENCES_PATH).header("cache-control", "no-store").send();
      } catch (error) {
        if (!(error instanceof DomainException)) throw error;
        const { code } = error;
        if (code === ErrorCode.MFA_REQUIRED && typeof error.extra.challenge === "string") {
          return sendPage(reply, 200, codePage(error.extra.challenge));
        }
        if (challenge && code === ErrorCode.BAD_USER_INPUT) {
          return sendPage(reply, 400, codePage(challenge, "That code is not right. Try the current one again."));
        }
        if (code === ErrorCode.RATE_LIMITED) {
          const seconds = Number(error.extra.retryAfterSeconds) || 60;
          reply.header("retry-after", String(seconds));
          const minutes = Math.max(1, Math.ceil(seconds / 60));
          const wait = `Too many attempts. Try again in ${minutes === 1 ? "a minute" : `${minutes} minutes`}.`;
          return sendPage(reply, 429, signInPage(wait));
        }
        if (code === ErrorCode.UNAUTHENTICATED || code === ErrorCode.BAD_USER_INPUT) {
          const why = challenge
            ? "That took too long, or the code was already used: sign in again."
            : "The email or password is wrong.";
          return sendPage(reply, 401, signInPage(why));
        }
        // Whatever else the sign-in refuses (a closed account…), in its own words.
        return sendPage(reply, 403, signInPage(error.message));
      }
    });

    scope.post<{ Body: string | undefined }>(PREFERENCES_PATH, async (request, reply) => {
      if (isCrossSite(request.headers, publicOrigin)) {
        return refuse(reply, 403, "This form must be sent from our site", "Nothing was changed.");
      }
      const form = new URLSearchParams(typeof request.body === "string" ? request.body : "");
      const subject = await subjectOf(request, form.get("token") || null);
      if (subject === "invalid") return refuse(reply, 404, "This link does not work", LINK_INVALID);
      if (subject === "expired") return sendPage(reply, 410, expiredPage(form.get("token")!));
      if (!subject) return sendPage(reply, 401, signInPage());
      const ctx = base(request);
      try {
        if (form.get("action") === "stop-all") {
          await ctx.transaction((tx) => consent.consent.stopAllMarketing(tx, subject.userId, subject.actor));
          const done = notice(
            "Done: we will send you no marketing at all, on any channel, until you tick something again.",
          );
          return sendPage(reply, 200, await render(request, subject, done));
        }
        if (form.get("action") !== "save") {
          return sendPage(
            reply,
            400,
            await render(request, subject, notice("Choose Save or Stop all marketing.", "alert")),
          );
        }
        const chosen = new Set(form.getAll("pref"));
        const changes = TOPICS.flatMap((topic) =>
          CHANNELS.map((channel) => ({ topic, channel, granted: chosen.has(`${topic}.${channel}`) })),
        );
        await ctx.transaction((tx) => consent.consent.setPreferencesOf(tx, subject.userId, changes, subject.actor));
        return sendPage(reply, 200, await render(request, subject, notice("Your choices are saved.")));
      } catch (error) {
        if (error instanceof DomainException && error.code === ErrorCode.NOT_FOUND) {
          return refuse(reply, 404, "This link does not work", LINK_INVALID);
        }
        throw error;
      }
    });

    // "Mail me a fresh link" from the expired link's page: one answer whatever the link was, so the
    // form says nothing about a link or an account; only a client IP over its limit is refused.
    scope.post<{ Body: string | undefined }>(PREFERENCES_FRESH_LINK_PATH, async (request, reply) => {
      if (isCrossSite(request.headers, publicOrigin)) {
        return refuse(reply, 403, "This form must be sent from our site", "Nothing was sent.");
      }
      const form = new URLSearchParams(typeof request.body === "string" ? request.body : "");
      try {
        await consent.freshPreferenceLinks.request(base(request), form.get("token") ?? "", preferencesUrl);
      } catch (error) {
        if (!(error instanceof DomainException) || error.code !== ErrorCode.RATE_LIMITED) throw error;
        reply.header("retry-after", String(Number(error.extra.retryAfterSeconds) || 60));
        return refuse(reply, 429, "Too many requests", "Too many requests from here. Wait a little, then try again.");
      }
      return refuse(reply, 200, "Check your inbox", FRESH_LINK_SENT);
    });

    scope.get(POLICY_PATH, async (request, reply) => {
      const policy = await consent.policy.current(base(request));
      return sendPage(
        reply,
        200,
        renderPage({
          title: "Privacy policy",
          body:
            `<p>Version ${policy.version}, last updated ${escapeHtml(policy.lastUpdated)}.</p>` +
            `<div class="policy">${escapeHtml(policy.body)}</div>`,
        }),
      );
    });
  });
}

const LINK_INVALID =
  "This preference link is not valid (it may have been changed, or the account closed). Nothing was changed. " +
  "Use the link in the footer of one of our latest messages, or sign in.";
const SIGN_IN =
  "Sign in to see and change what we send you, or open the link at the foot of any of our marketing messages.";

const LINK_EXPIRED =
  "This preference link has expired: links in our messages work for 90 days. Nothing was changed. We can mail " +
  "you a fresh link, or sign in below, or use the link at the foot of a newer message from us.";

const FRESH_LINK_SENT =
  "If the link was one of ours, we have sent a fresh one to the address it was for. It may take a few minutes " +
  "to arrive, and works for 90 days.";

/**
 * An expired link's page: "mail me a fresh link" (the expired token in a hidden field, never in an
 * address), then the sign-in form.
 */
function expiredPage(token: string): string {
  const freshLink =
    `<form method="post" action="${PREFERENCES_FRESH_LINK_PATH}">${tokenField(token)}` +
    `<p><button type="submit">Mail me a fresh link</button></p></form>`;
  return signInPage(undefined, LINK_EXPIRED, freshLink);
}

/** The preference centre's sign-in form, with what went wrong above it (or why the link no longer works). */
function signInPage(error?: string, expired?: string, before = ""): string {
  return renderPage({
    title: expired ? "This link has expired" : "Sign in to see your preferences",
    body:
      (error ? notice(error, "alert") : "") +
      `<p>${expired ? escapeHtml(expired) : SIGN_IN}</p>${before}<form method="post" action="${PREFERENCES_SIGN_IN_PATH}">` +
      `<p><label for="email">Email</label><br><input id="email" name="email" type="email" autocomplete="username" required maxlength="254"></p>` +
      `<p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required maxlength="200"></p>` +
      `<p><button type="submit">Sign in</button></p></form>`,
  });
}

/** The second step with two-factor on: the challenge rides in a hidden field, never in an address. */
function codePage(challenge: string, error?: string): string {
  return renderPage({
    title: "Enter your code",
    body:
      (error ? notice(error, "alert") : "") +
      `<p>Your account has two-factor authentication on.</p><form method="post" action="${PREFERENCES_SIGN_IN_PATH}">` +
      `<input type="hidden" name="challenge" value="${escapeHtml(challenge)}">` +
      `<p><label for="code">Code from your authenticator app, or a recovery code</label><br>` +
      `<input id="code" name="code" autocomplete="one-time-code" required maxlength="64"></p>` +
      `<p><button type="submit">Continue</button></p></form>`,
  });
}

function tokenField(token: string | null): string {
  return token ? `<input type="hidden" name="token" value="${escapeHtml(token)}">` : "";
}

function preferenceForm(preferences: PreferenceView[], token: string | null): string {
  const granted = new Set(preferences.filter((p) => p.granted).map((p) => `${p.topic}.${p.channel}`));
  // Chosen but waiting for the address's verification (double opt-in): ticked, so that saving keeps it.
  const pending = new Set(preferences.filter((p) => p.pending).map((p) => `${p.topic}.${p.channel}`));
  const fieldsets = TOPICS.map((topic) => {
    const boxes = CHANNELS.map((channel) => {
      const id = `p-${topic}-${channel}`;
      const key = `${topic}.${channel}`;
      const checked = granted.has(key) || pending.has(key) ? " checked" : "";
      const waiting = pending.has(key) ? " (once you confirm your email address)" : "";
      return (
        `<label for="${id}"><input type="checkbox" id="${id}" name="pref" value="${key}"${checked}>` +
        `${escapeHtml(CHANNEL_LABELS[channel])}${waiting}</label>`
      );
    }).join("");
    return (
      `<fieldset aria-describedby="d-${topic}"><legend>${escapeHtml(capitalise(TOPIC_LABELS[topic]))}</legend>` +
      `<p class="hint" id="d-${topic}">${escapeHtml(TOPIC_DESCRIPTIONS[topic])}</p><div class="choices">${boxes}</div></fieldset>`
    );
  }).join("");
  return (
    `<form method="post" action="${PREFERENCES_PATH}">${tokenField(token)}` +
    `<input type="hidden" name="action" value="save">${fieldsets}<p><button type="submit">Save my choices</button></p></form>`
  );
}

function stopAllForm(token: string | null): string {
  return (
    `<h2>Stop all marketing</h2><p>No marketing from us on any channel, and your address and numbers on our ` +
    `do-not-contact list, until you tick something again. Messages about your orders and account still come.</p>` +
    `<form method="post" action="${PREFERENCES_PATH}">${tokenField(token)}` +
    `<input type="hidden" name="action" value="stop-all"><p><button type="submit" class="danger">Stop all marketing</button></p></form>`
  );
}

function policySection(preferences: PreferenceView[], policy: { version: number; lastUpdated: string }): string {
  const versions = preferences.map((p) => p.policyVersion).filter((v): v is number => typeof v === "number");
  const madeUnder = versions.length
    ? `Your choices were made under privacy policy version ${Math.max(...versions)}. `
    : "You have made no choices yet. ";
  return (
    `<h2>Privacy policy</h2><p>${madeUnder}The policy in force is version ${policy.version}, last updated ` +
    `${escapeHtml(policy.lastUpdated)}. <a href="${POLICY_PATH}">Read the privacy policy</a>.</p>`
  );
}

function historySection(
  events: { occurredAt: Date; topic: string; channel: string; action: string; method: string; policyVersion: number }[],
): string {
  if (events.length === 0) return `<h2>Your consent history</h2><p>Nothing yet.</p>`;
  const rows = events
    .map(
      (e) =>
        `<tr><td>${day(e.occurredAt)}</td><td>${escapeHtml(capitalise(TOPIC_LABELS[e.topic as keyof typeof TOPIC_LABELS] ?? e.topic))}</td>` +
        `<td>${escapeHtml(CHANNEL_LABELS[e.channel as keyof typeof CHANNEL_LABELS] ?? e.channel)}</td>` +
        `<td>${ACTIONS[e.action] ?? escapeHtml(e.action)}</td><td>${escapeHtml(METHODS[e.method] ?? e.method)}</td>` +
        `<td>${e.policyVersion}</td></tr>`,
    )
    .join("");
  return (
    `<h2 id="history">Your consent history</h2><div class="table" tabindex="0" role="region" aria-labelledby="history"><table><caption>Your last ${events.length} choices, newest first</caption>` +
    `<thead><tr><th scope="col">Date</th><th scope="col">Topic</th><th scope="col">Channel</th><th scope="col">Wanted</th>` +
    `<th scope="col">How</th><th scope="col">Policy</th></tr></thead><tbody>${rows}</tbody></table></div>`
  );
}
