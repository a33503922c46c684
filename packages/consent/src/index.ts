import "reflect-metadata";

// The consent domain's front door. It lists, by name, what other packages and apps import and
// what README.md's "Public API" section promises; everything else is private to the package.
// GraphQL types and resolvers live behind "@honour/consent/graphql".
//
// How the gateway mounts the unsubscribe routes (RFC 8058), with `services = createConsentServices(…)`:
//
//   GET  /unsubscribe/:token  -> view = await services.unsubscribe.describe(ctx, token)
//                                reply 200 (view.valid) or 404, content-type text/html,
//                                body renderUnsubscribePage(view, { preferencesUrl }).
//                                Changes nothing: mail scanners follow links.
//   POST /unsubscribe/:token  -> only with the form body `List-Unsubscribe=One-Click`
//                                (application/x-www-form-urlencoded or multipart/form-data; the
//                                page's confirm button sends the same body); anything else 400.
//                                outcome = await services.unsubscribe.oneClick(ctx, token)
//                                reply 200 (outcome.done) or 404, never a redirect, body
//                                renderUnsubscribeDone(outcome, { preferencesUrl }).
//
// `ctx` is a RequestContext for an anonymous actor; oneClick opens its own transaction. Both
// answers should carry `cache-control: no-store` and `referrer-policy: no-referrer`, and the
// token (the path) must be kept out of request logs: it can unsubscribe its holder.
//
// The worker runs `consentJobs(services)`; the gateway and the worker pass `{ smtpUrl: SMTP_URL,
// mailFrom: MAIL_FROM }` from the config to createConsentServices.

// The module, its services and jobs (gateway, worker, privacy).
export { consentModule, createConsentServices, type ConsentServices, type ConsentOptions } from "./consent.module";
export { consentJobs } from "./consent.job";
export { CONSENT_JOBS, CampaignService, type CampaignDraft } from "./campaign/campaign.service";
export { CampaignStatus } from "./campaign/campaign.entity";
export { type CampaignSenderOptions } from "./campaign/campaign-sender.service";
export { ConsentErrorCode, ConsentException } from "./consent.exception";

// Preferences and the ledger (privacy, the bench, the worker's fault tests).
export {
  ConsentService,
  type LedgerActor,
  type PreferenceChange,
  type PreferenceView,
} from "./preference/consent.service";
export { ConsentAction, ConsentActorKind, ConsentMethod } from "./preference/consent-event.entity";
export { ConsentPreferenceEntity } from "./preference/consent-preference.entity";
export { ConsentKeys } from "./consent-keys";

// The unsubscribe routes (see above).
export { type UnsubscribeOutcome, type UnsubscribeView } from "./unsubscribe/unsubscribe.service";
export {
  CHANNEL_LABELS,
  renderUnsubscribeDone,
  renderUnsubscribePage,
  TOPIC_DESCRIPTIONS,
  TOPIC_LABELS,
  type UnsubscribePageOptions,
} from "./unsubscribe/unsubscribe-page";
export { maskEmail } from "./unsubscribe/unsubscribe.service";

// Mail transports: ConsentOptions.transport replaces SMTP (tests, other carriers).
export { MailDeliveryError, type MailAddress, type MailTransport, type OutgoingMail } from "./mail/mail-transport";
