import type { RequestContext } from "../context/request-context";
import { TRANSACTIONAL_MAIL_JOB, type TransactionalMailPayload } from "../mail/transactional-mail";
import type { PersonalDataContributor, PersonalDataSubject } from "../privacy/personal-data";
import { JobEntity, JobStatus } from "./job.entity";

/** `%…%` for a LIKE with `!` as the escape character, matching `text` anywhere. */
const containing = (text: string) => `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`;

/**
 * Jobs whose payload holds the subject's e-mail address as a whole JSON string (a message's
 * `"address": "ada@example.com"`): quotes included, so `sada@example.com` is not Ada's. Or that
 * name their account (a message's `accountId`), whatever address it went to.
 */
function jobsAbout(ctx: RequestContext, subject: PersonalDataSubject) {
  return ctx.manager
    .getRepository(JobEntity)
    .createQueryBuilder("job")
    .where("job.payload LIKE :email ESCAPE '!' OR job.payload LIKE :account ESCAPE '!'", {
      email: containing(JSON.stringify(subject.email)),
      account: containing(`"accountId":${JSON.stringify(subject.userId)}`),
    });
}

/**
 * A message's text with the values of `token=` in its links masked: a copy of the data must not
 * carry a link that still works (a password reset's).
 */
const withoutTokens = (text: string) => text.replace(/([?&]token=)[^\s&#"'<>]+/g, "$1[REDACTED]");

/** A message's progress as its recipient reads it. */
const MAIL_STATUS: Record<JobStatus, string> = {
  [JobStatus.PENDING]: "QUEUED",
  [JobStatus.RUNNING]: "QUEUED",
  [JobStatus.DONE]: "SENT",
  [JobStatus.DEAD]: "NOT_SENT",
};

/**
 * The job table as a personal data contributor. Export (section `mail`): the transactional
 * messages queued for or sent about the person's account (those whose payload names it in
 * `accountId`), as the person would read them: kind, recipient, subject, text (the values of `token=` in links
 * masked), status and dates.
 * Not the job's internals (id, name, attempts, errors, keys), not mail that only went to their
 * address (a guest order's confirmation: an account does not prove its holder owns the address),
 * nor anything addressed to someone else. Erasure deletes every job that names the person's
 * address or account, pending ones included: no mail goes to a closed account.
 */
export class MailPersonalData implements PersonalDataContributor {
  readonly name = "mail";

  async export(ctx: RequestContext, subject: PersonalDataSubject): Promise<Record<string, unknown>> {
    const jobs = await jobsAbout(ctx, subject)
      .andWhere("job.name = :mail", { mail: TRANSACTIONAL_MAIL_JOB })
      .orderBy("job.createdAt", "ASC")
      .addOrderBy("job.id", "ASC")
      .getMany();
    const messages = jobs
      .map((job) => ({ job, mail: job.payload as Partial<TransactionalMailPayload> }))
      // The LIKE finds candidates; the parsed payload decides.
      .filter(({ mail }) => mail.accountId === subject.userId)
      .map(({ job, mail }) => ({
        kind: mail.kind ?? null,
        to: mail.to ?? null,
        subject: mail.subject ?? null,
        text: mail.text === undefined ? null : withoutTokens(mail.text),
        status: MAIL_STATUS[job.status],
        queuedAt: job.createdAt.toISOString(),
        sentAt: job.status === JobStatus.DONE ? (job.finishedAt?.toISOString() ?? null) : null,
      }));
    return { messages };
  }

  async erase(ctx: RequestContext, subject: PersonalDataSubject): Promise<void> {
    const ids = (await jobsAbout(ctx, subject).select("job.id", "id").getRawMany<{ id: string }>()).map((r) => r.id);
    if (ids.length > 0) await ctx.manager.delete(JobEntity, ids);
  }
}
