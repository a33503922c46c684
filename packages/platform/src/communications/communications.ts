/**
 * The vocabulary of communication preferences, shared by users (the registration form's choices)
 * and consent (the ledger, the lists and the campaigns). It lives here so that users need not
 * import consent: dependencies point consent -> users -> platform.
 */

/** What a communication is about; the policy's "information about our company, product updates, special offers and newsletters", plus offers from partners. */
export enum Topic {
  COMPANY_INFO = "COMPANY_INFO",
  PRODUCT_UPDATES = "PRODUCT_UPDATES",
  SPECIAL_OFFERS = "SPECIAL_OFFERS",
  NEWSLETTER = "NEWSLETTER",
  PARTNER_OFFERS = "PARTNER_OFFERS",
}

/** How a communication reaches a person. */
export enum Channel {
  EMAIL = "EMAIL",
  TELEPHONE = "TELEPHONE",
  FAX = "FAX",
  MAIL = "MAIL",
}

export const TOPICS: readonly Topic[] = Object.values(Topic);
export const CHANNELS: readonly Channel[] = Object.values(Channel);

/** One topic on one channel, e.g. a box ticked on the registration form. */
export interface CommunicationChoice {
  topic: Topic;
  channel: Channel;
}
