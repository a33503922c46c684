import "reflect-metadata";

// The privacy domain's front door: what other packages and the apps use, nothing more.
// GraphQL types and resolvers live behind "@honour/privacy/graphql". README.md, "Public API",
// says who uses each name.
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

export { PrivacyRequestChannel, PrivacyRequestStatus, PrivacyRequestType } from "./request/privacy-request.entity";
export type { PrivacyRequestView } from "./request/privacy-request-store.service";
export type { PrivacyRequestQuery, RecordedRequest } from "./request/privacy-request.service";
export { daysLeft } from "./request/due-date";

export { DataExportEntity } from "./export/data-export.entity";
export { EXPORT_DOWNLOAD_PATH, type ExportDownload } from "./export/data-export.service";
