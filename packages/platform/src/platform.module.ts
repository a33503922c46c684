import type { DomainModuleDefinition } from "./module/domain-module";
import { JobEntity } from "./jobs/job.entity";
import { JobOutboxEntity } from "./jobs/job-outbox.entity";
import { AuditEntryEntity } from "./audit/audit-entry.entity";
import { CreateJob1795628548229 } from "./migrations/1795628548229-create-job.migration";
import { CreateAuditEntry1795636881893 } from "./migrations/1795636881893-create-audit-entry.migration";
import { CreateJobOutbox1796602078181 } from "./migrations/1796602078181-create-job-outbox.migration";
import { AddJobClaimNameIndex1796625309527 } from "./migrations/1796625309527-add-job-claim-name-index.migration";

/** The platform's own tables (the job queue and the Redis queue's outbox, the audit log). */
export const platformModule: DomainModuleDefinition = {
  name: "platform",
  entities: [JobEntity, AuditEntryEntity, JobOutboxEntity],
  migrations: [
    CreateJob1795628548229,
    CreateAuditEntry1795636881893,
    CreateJobOutbox1796602078181,
    AddJobClaimNameIndex1796625309527,
  ],
};
