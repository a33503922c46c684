import "reflect-metadata";

// The privacy domain's front door: entities, services, jobs, migrations, DTO types and the module.
// GraphQL types and resolvers live behind "@honour/privacy/graphql".
//
// How the gateway mounts the download route, with `services = createPrivacyServices(…)`:
//
//   GET /privacy/exports/:id/:sig -> ctx = a RequestContext acting as the session cookie's user
//                                    download = await services.exports.download(ctx, id, sig)
//                                    200 application/json, content-disposition attachment,
//                                    cache-control no-store. Errors as JSON { code, message }:
//                                    UNAUTHENTICATED 401, EXPORT_NOT_FOUND 404 (also another
//                                    user's export), EXPORT_EXPIRED 410, EXPORT_NOT_READY 409.
//
// The worker runs `privacyJobs(services)`.

export { privacyModule, createPrivacyServices, type PrivacyServices } from "./privacy.module";
export { PRIVACY_JOBS, privacyJobs } from "./privacy.job";
export { PrivacyErrorCode, PrivacyException } from "./privacy.exception";

export {
  MAX_EXTENSION_MONTHS,
  OPEN_STATUSES,
  PRIVACY_REQUEST_LIMITS,
  PrivacyRequestChannel,
  PrivacyRequestEntity,
  PrivacyRequestStatus,
  PrivacyRequestType,
} from "./request/privacy-request.entity";
export { MY_REQUESTS_LIMIT, OwnPrivacyRequestService } from "./request/own-privacy-request.service";
export {
  PrivacyRequestService,
  type PrivacyRequestQuery,
  type RecordedRequest,
} from "./request/privacy-request.service";
export { PrivacyRequestRetention } from "./request/privacy-request-retention.service";
export type { PrivacyRequestView } from "./request/privacy-request-store.service";
export { PRIVACY_PERSONAL_DATA, PrivacyPersonalData } from "./request/privacy-personal-data.service";
export {
  addCalendarMonths,
  daysInMonth,
  daysLeft,
  dueDate,
  fromLocal,
  toLocal,
  type LocalDateTime,
} from "./request/due-date";

export { DataExportEntity, DataExportPartEntity, EXPORT_PART_CHARS } from "./export/data-export.entity";
export {
  DataExportService,
  EXPORT_DOWNLOAD_PATH,
  EXPORT_FORMAT,
  ExportLinks,
  type ExportDownload,
} from "./export/data-export.service";
