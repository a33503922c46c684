import type { DomainModuleDefinition } from "./module/domain-module";
import { JobEntity } from "./jobs/job.entity";
import { CreateJob1795628548229 } from "./migrations/1795628548229-create-job.migration";

/** The platform's own tables (the job queue). */
export const platformModule: DomainModuleDefinition = {
  name: "platform",
  entities: [JobEntity],
  migrations: [CreateJob1795628548229],
};
