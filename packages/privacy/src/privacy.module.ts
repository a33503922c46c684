import type { AuditLog, DomainModuleDefinition, Platform } from "@honour/platform";
import type { ConsentServices } from "@honour/consent";
import type { UsersServices } from "@honour/users";
import { DataExportEntity, DataExportPartEntity } from "./export/data-export.entity";
import { DataExportService, ExportLinks } from "./export/data-export.service";
import { CreatePrivacy1795637887841 } from "./migrations/1795637887841-create-privacy.migration";
import { PrivacyPersonalData } from "./request/privacy-personal-data.service";
import { PrivacyRequestEntity } from "./request/privacy-request.entity";
import { PrivacyRequestService } from "./request/privacy-request.service";

/** The privacy domain's tables and the migrations that create them on MySQL/MariaDB. */
export const privacyModule: DomainModuleDefinition = {
  name: "privacy",
  entities: [PrivacyRequestEntity, DataExportEntity, DataExportPartEntity],
  migrations: [CreatePrivacy1795637887841],
};

/** The privacy domain's services, as the gateway and the worker use them. */
export interface PrivacyServices {
  requests: PrivacyRequestService;
  exports: DataExportService;
  /** The platform's audit log, which ADMINs read through `auditLog`. */
  audit: AuditLog;
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
    platform.audit,
    new ExportLinks(config.secret, config.publicUrl),
    config.retention.dataExportsDays,
  );
  const requests = new PrivacyRequestService(users.users, consent.consent, dataExports, platform.jobs, platform.audit, {
    timeZone: config.stats.timeZone,
    closedAccountsDays: config.retention.closedAccountsDays,
  });
  platform.personalData.register(new PrivacyPersonalData(requests, dataExports));
  return { requests, exports: dataExports, audit: platform.audit };
}
