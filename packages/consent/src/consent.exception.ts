import { DomainException, ErrorCode } from "@honour/platform";

/** The consent domain's own failure reasons, each mapped to one of platform's error codes. */
export enum ConsentErrorCode {
  /** Only a DRAFT campaign can be sent. */
  CAMPAIGN_NOT_DRAFT = "CAMPAIGN_NOT_DRAFT",
  /** Someone published a policy version at the same moment. */
  POLICY_VERSION_TAKEN = "POLICY_VERSION_TAKEN",
  /** The unsubscribe token is unknown or has been changed. */
  INVALID_UNSUBSCRIBE_TOKEN = "INVALID_UNSUBSCRIBE_TOKEN",
}

const PLATFORM_CODES: Record<ConsentErrorCode, ErrorCode> = {
  [ConsentErrorCode.CAMPAIGN_NOT_DRAFT]: ErrorCode.CONFLICT,
  [ConsentErrorCode.POLICY_VERSION_TAKEN]: ErrorCode.CONFLICT,
  [ConsentErrorCode.INVALID_UNSUBSCRIBE_TOKEN]: ErrorCode.NOT_FOUND,
};

/** An expected failure of a consent rule; clients see `extensions.code` and `extensions.reason`. */
export class ConsentException extends DomainException {
  constructor(
    readonly reason: ConsentErrorCode,
    message: string,
  ) {
    super(PLATFORM_CODES[reason], message, [], { reason });
  }
}
