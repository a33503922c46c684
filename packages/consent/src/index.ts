import "reflect-metadata";

// The consent domain's front door: entities, services, jobs, migrations, DTO types and the module.
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

export { consentModule, createConsentServices, type ConsentServices, type ConsentOptions } from "./consent.module";
export { consentJobs } from "./consent.job";
export { ConsentErrorCode, ConsentException } from "./consent.exception";
export { ConsentKeys, identifierOf, normaliseIdentifier, postalKey, type PostalKeyParts } from "./consent-keys";
// The shared vocabulary lives in platform (users needs it too); re-exported at this front door.
export { Channel, CHANNELS, Topic, TOPICS, type CommunicationChoice } from "@honour/platform";

export { PolicyVersionEntity, POLICY_LIMITS } from "./policy/policy-version.entity";
export { PolicyService, POLICY_V1, type PolicyDraft } from "./policy/policy.service";

export { ConsentAction, ConsentActorKind, ConsentEventEntity, ConsentMethod } from "./preference/consent-event.entity";
export { ConsentPreferenceEntity } from "./preference/consent-preference.entity";
export { ConsentLedger } from "./preference/consent-ledger";
export {
  ConsentService,
  MAX_PREFERENCE_CHANGES,
  SOFT_OPT_IN,
  type LedgerActor,
  type PreferenceChange,
  type PreferenceView,
} from "./preference/consent.service";

export { ConsentPersonalData, type ConsentDataExport, type ConsentLedgerExport } from "./privacy/consent-personal-data";

export { SuppressionEntity, SuppressionReason, PERSONAL_SUPPRESSION_REASONS } from "./suppression/suppression.entity";
export { RemovalRequestEntity, REMOVAL_REQUEST_LIMITS } from "./suppression/removal-request.entity";
export {
  SuppressionService,
  SuppressedHashReason,
  PARTNER_FEED_LIMIT,
  type RemovalRequest,
  type SuppressedHash,
} from "./suppression/suppression.service";

export { ListExportEntity } from "./contact-list/list-export.entity";
export {
  ContactListService,
  LIST_CHANNELS,
  type ContactListExport,
  type ContactListRow,
} from "./contact-list/contact-list.service";

export { UnsubscribeTokenEntity } from "./unsubscribe/unsubscribe-token.entity";
export {
  UnsubscribeService,
  maskEmail,
  type UnsubscribeOutcome,
  type UnsubscribeView,
} from "./unsubscribe/unsubscribe.service";
export {
  renderUnsubscribePage,
  renderUnsubscribeDone,
  escapeHtml,
  TOPIC_LABELS,
  type UnsubscribePageOptions,
} from "./unsubscribe/unsubscribe-page";

export { CampaignEntity, CampaignStatus, CAMPAIGN_LIMITS } from "./campaign/campaign.entity";
export { OutboxMessageEntity, OutboxOutcome, OutboxStatus } from "./campaign/outbox-message.entity";
export {
  CampaignService,
  CONSENT_JOBS,
  NO_COUNTS,
  type CampaignCounts,
  type CampaignDraft,
} from "./campaign/campaign.service";
export { CampaignSender, type CampaignSenderOptions } from "./campaign/campaign-sender.service";
export { sanitiseCampaignHtml } from "./campaign/campaign-html";

export {
  fileMailTransport,
  smtpMailTransport,
  MailDeliveryError,
  type MailAddress,
  type MailTransport,
  type OutgoingMail,
} from "./mail/mail-transport";
export { Mailer, type MailSettings, type MarketingContent, type TransactionalMail } from "./mail/mailer.service";
