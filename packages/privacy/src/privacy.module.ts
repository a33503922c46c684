import type { AuditLog, DomainModuleDefinition, Platform } from "@honour/platform";
import type { ConsentServices } from "@honour/consent";
import type { UsersServices } from "@honour/users";
import { DataExportEntity, DataExportPartEntity } from "./export/data-export.entity";
import { DataExportService, ExportLinks } from "./export/data-export.service";
import { CreatePrivacy1795637887841 } from "./migrations/1795637887841-create-privacy.migration";
import { AddPrivacyRequestDueIndexes1796626098780 } from "./migrations/1796626098780-add-privacy-request-due-indexes.migration";
import { PrivacyPersonalData } from "./request/privacy-personal-data.service";
import { OwnPrivacyRequestService } from "./request/own-privacy-request.service";
import { PrivacyRequestEntity } from "./request/privacy-request.entity";
import { PrivacyRequestRetention } from "./request/privacy-request-retention.service";
import { PrivacyRequestService } from "./request/privacy-request.service";
import { PrivacyRequestStore } from "./request/privacy-request-store.service";

/** The privacy domain's tables and the migrations that create them on MySQL/MariaDB. */
export const privacyModule: DomainModuleDefinition = {
  name: "privacy",
  entities: [PrivacyRequestEntity, DataExportEntity, DataExportPartEntity],
  migrations: [CreatePrivacy1795637887841, AddPrivacyRequestDueIndexes1796626098780],
};

/** The privacy domain's services, as the gateway and the worker use them. */
export interface PrivacyServices {
  /** Staff's handling of every request (SUPPORT and ADMIN). */
  requests: PrivacyRequestService;
  /** The signed-in person's own requests: a copy of their data, closing their account. */
  ownRequests: OwnPrivacyRequestService;
  /** The purge of requests whose account closed long enough ago (a daily job). */
  requestRetention: PrivacyRequestRetention;
  exports: DataExportService;
  /** The platform's audit log, which ADMINs read through `auditLog`. */
  audit: AuditLog;
  /** The "privacy" section of data exports and the first erasure of a closure, registered with the platform. */
  personalData: PrivacyPersonalData;
}

/**
 * Builds the privacy services on a platform, over the users and consent services, and registers
 * the privacy domain's {@link PrivacyPersonalData} contributor (section `"privacy"`). Compose it
 * after every other domain, so its contributor is the first to erase.
 */
export function createPrivacyServices(
  platform: Platform,
  users: UsersServices,
  consent: ConsentServices,
): PrivacyServices {
  const { config } = platform;
  const dataExports = new DataExportService(
    platform.personalData,
    users.users,
    platform.jobs,
    platform.audit,
    new ExportLinks(config.secret, config.publicUrl),
    config.retention.dataExportsDays,
  );
  const store = new PrivacyRequestStore(platform.audit, config.stats.timeZone);
  const requests = new PrivacyRequestService(
    store,
    users.users,
    consent.consent,
    dataExports,
    platform.audit,
    platform.jobs,
  );
  const ownRequests = new OwnPrivacyRequestService(store, users.users, dataExports);
  const requestRetention = new PrivacyRequestRetention(config.retention.closedAccountsDays);
  const personalData = platform.personalData.register(new PrivacyPersonalData(dataExports));
  return { requests, ownRequests, requestRetention, exports: dataExports, audit: platform.audit, personalData };
}
