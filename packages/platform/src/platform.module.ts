import type { DomainModuleDefinition } from "./module/domain-module";
import { JobEntity } from "./jobs/job.entity";
import { AuditEntryEntity } from "./audit/audit-entry.entity";
import { CreateJob1795628548229 } from "./migrations/1795628548229-create-job.migration";
import { CreateAuditEntry1795636881893 } from "./migrations/1795636881893-create-audit-entry.migration";

/** The platform's own tables (the job queue, the audit log). */
export const platformModule: DomainModuleDefinition = {
  name: "platform",
  entities: [JobEntity, AuditEntryEntity],
  migrations: [CreateJob1795628548229, CreateAuditEntry1795636881893],
};
