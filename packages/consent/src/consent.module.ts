import { join } from "node:path";
import type { DomainModuleDefinition, Platform } from "@honour/platform";
import type { UsersServices } from "@honour/users";
import { CampaignSender, type CampaignSenderOptions } from "./campaign/campaign-sender.service";
import { CampaignEntity } from "./campaign/campaign.entity";
import { CampaignService } from "./campaign/campaign.service";
import { OutboxMessageEntity } from "./campaign/outbox-message.entity";
import { ConsentKeys } from "./consent-keys";
import { ContactListService } from "./contact-list/contact-list.service";
import { ListExportEntity } from "./contact-list/list-export.entity";
import { CreateConsent1795631927845 } from "./migrations/1795631927845-create-consent.migration";
import { IndexOutboxUser1796591913300 } from "./migrations/1796591913300-index-outbox-user.migration";
import { fileMailTransport, smtpMailTransport, type MailTransport } from "./mail/mail-transport";
import { Mailer, type MailSettings } from "./mail/mailer.service";
import { PolicyVersionEntity } from "./policy/policy-version.entity";
import { PolicyService } from "./policy/policy.service";
import { ConsentEventEntity, ConsentMethod } from "./preference/consent-event.entity";
import { ConsentLedger } from "./preference/consent-ledger";
import { ConsentPreferenceEntity } from "./preference/consent-preference.entity";
import { ConsentService } from "./preference/consent.service";
import { ConsentProofEntity } from "./preference/consent-proof.entity";
import { PendingConsentEntity } from "./preference/pending-consent.entity";
import { PendingConsentService } from "./preference/pending-consent.service";
import { AddPendingConsent1796602388516 } from "./migrations/1796602388516-add-pending-consent.migration";
import { AddPendingConsentMethod1796613911878 } from "./migrations/1796613911878-add-pending-consent-method.migration";
import { ConsentPersonalData } from "./privacy/consent-personal-data.service";
import { RemovalRequestEntity } from "./suppression/removal-request.entity";
import { SuppressionEntity } from "./suppression/suppression.entity";
import { SuppressionService } from "./suppression/suppression.service";
import { UnsubscribeTokenEntity } from "./unsubscribe/unsubscribe-token.entity";
import { UnsubscribeService } from "./unsubscribe/unsubscribe.service";
import { FreshPreferenceLinkService } from "./unsubscribe/fresh-preference-link.service";

/** The consent domain's tables and the migrations that create them on MySQL/MariaDB. */
export const consentModule: DomainModuleDefinition = {
  name: "consent",
  entities: [
    PolicyVersionEntity,
    ConsentEventEntity,
    ConsentPreferenceEntity,
    SuppressionEntity,
    RemovalRequestEntity,
    ListExportEntity,
    UnsubscribeTokenEntity,
    CampaignEntity,
    OutboxMessageEntity,
    PendingConsentEntity,
    ConsentProofEntity,
  ],
  migrations: [
    CreateConsent1795631927845,
    IndexOutboxUser1796591913300,
    AddPendingConsent1796602388516,
    AddPendingConsentMethod1796613911878,
  ],
};

/** The consent domain's services, as the gateway and the worker use them. */
export interface ConsentServices {
  policy: PolicyService;
  consent: ConsentService;
  suppressions: SuppressionService;
  contactLists: ContactListService;
  unsubscribe: UnsubscribeService;
  /** "Mail me a fresh link" on the page of an expired preference link. */
  freshPreferenceLinks: FreshPreferenceLinkService;
  campaigns: CampaignService;
  /** The worker's side of campaigns (used by `consentJobs`). */
  sender: CampaignSender;
  /** Double opt-in: registration choices waiting for the address's verification, granted with proof. */
  pendingConsents: PendingConsentService;
  /** Marketing and transactional mail. */
  mailer: Mailer;
  /** The "consent" section of data exports and the consent side of closures (registered on the platform). */
  personalData: ConsentPersonalData;
  /** Stops the subscriptions to users' events and closes the mail transport. */
  close(): void;
}

export interface ConsentOptions {
  /**
   * `SMTP_URL` (`smtp://user:pass@host:587`, `smtps://…:465`). Unset: messages are written as
   * `.eml` files under `<dataDir>/outbox/` instead of being sent.
   */
  smtpUrl?: string | null;
  /** `MAIL_FROM`, the From header (default `"Honour" <no-reply@<host of PUBLIC_URL>>`). */
  mailFrom?: string;
  /** The List-Unsubscribe mailto mailbox (default `unsubscribe@<host of PUBLIC_URL>`). */
  unsubscribeMailto?: string;
  /** The site path of the preference centre, linked from every message (default `/preferences`). */
  preferencesPath?: string;
  /** The sender's name in footers and pages (default `Honour`). */
  organisation?: string;
  /** Replaces the SMTP/file transport (tests). */
  transport?: MailTransport;
  /** Campaign batch size and timings (tests). */
  sender?: CampaignSenderOptions;
}

/**
 * Builds the consent services on a platform, registers the "consent" personal data contributor
 * (export, and the erasure a closure runs before it publishes `users.accountClosed`) and
 * subscribes to the users' events inside the users' transaction: `users.registered` keeps the
 * registration form's choices pending, `users.emailVerified` grants them (double opt-in) and
 * `users.emailChanged` lets the person's opt-outs follow them; `users.accountClosed` only withdraws whatever is still granted, a
 * no-op after the erasure (it reads nothing about the person, whose data is gone by then).
 */
export function createConsentServices(
  platform: Platform,
  users: UsersServices,
  options: ConsentOptions = {},
): ConsentServices {
  const { config } = platform;
  const host = new URL(config.publicUrl).hostname;
  const settings: MailSettings = {
    from: options.mailFrom ?? `"${options.organisation ?? "Honour"}" <no-reply@${host}>`,
    publicUrl: config.publicUrl,
    unsubscribeMailto: options.unsubscribeMailto ?? `unsubscribe@${host}`,
    preferencesUrl: `${config.publicUrl}${options.preferencesPath ?? "/preferences"}`,
    organisation: options.organisation ?? "Honour",
    messageIdDomain: host,
  };
  const transport =
    options.transport ??
    (options.smtpUrl ? smtpMailTransport(options.smtpUrl) : fileMailTransport(join(config.dataDir, "outbox")));
  const mailer = new Mailer(transport, settings);

  const keys = new ConsentKeys(config.secret);
  const policy = new PolicyService();
  const suppressions = new SuppressionService(keys);
  const ledger = new ConsentLedger();
  const consent = new ConsentService(keys, ledger, policy, suppressions);
  const personalData = platform.personalData.register(
    new ConsentPersonalData(keys, ledger, consent, suppressions, users.users),
  );
  const pendingConsents = platform.personalData.register(new PendingConsentService(policy, consent, suppressions));
  const unsubscribe = new UnsubscribeService(keys, consent, platform.clock);
  const sender = new CampaignSender(platform.jobs, suppressions, unsubscribe, mailer, platform.logger, options.sender);
  const campaigns = new CampaignService(platform.jobs, { mailer, unsubscribe, sender });
  const subscriptions = [
    // Double opt-in: the form's choices wait for the address's verification (PendingConsentService).
    platform.events.subscribe("users.registered", (ctx, event) => pendingConsents.recordRegistration(ctx, event)),
    platform.events.subscribe("users.emailVerified", async (ctx, event) => {
      await pendingConsents.grantOnVerification(ctx, event);
    }),
    platform.events.subscribe("users.emailChanged", (ctx, event) => pendingConsents.followEmailChange(ctx, event)),
    platform.events.subscribe("users.accountClosed", async (ctx, event) => {
      await consent.withdrawAll(ctx, event.userId, ConsentMethod.ACCOUNT_CLOSED);
    }),
  ];
  return {
    policy,
    consent,
    suppressions,
    contactLists: new ContactListService(suppressions, platform.audit),
    unsubscribe,
    freshPreferenceLinks: new FreshPreferenceLinkService(config.secret, unsubscribe, platform.jobs),
    campaigns,
    sender,
    mailer,
    personalData,
    pendingConsents,
    close: () => {
      for (const unsubscribeFrom of subscriptions) unsubscribeFrom();
      transport.close();
    },
  };
}
