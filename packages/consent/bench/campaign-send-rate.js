#!/usr/bin/env node
// Campaign send rate: 10 000 recipients, sent by a platform JobRunner through nodemailer to an
// SMTP server in this process. Run `npm run build` first (it uses the built packages).
//
//   node packages/consent/bench/campaign-send-rate.js            # MariaDB at TEST_DATABASE_URL (default local)
//   BENCH_DB=sqlite node packages/consent/bench/campaign-send-rate.js
//   BENCH_RECIPIENTS=2000 BENCH_BATCH=100 node packages/consent/bench/campaign-send-rate.js
require("reflect-metadata");
const { SMTPServer } = require("smtp-server");
const {
  ANONYMOUS,
  Channel,
  createPlatform,
  JobRunner,
  loadConfig,
  newId,
  platformModule,
  RequestContext,
  Role,
  silentLogger,
  SqlJobQueue,
  systemClock,
  Topic,
} = require("@honour/platform");
const { openTestDataSource } = require("@honour/testing");
const { createUsersServices, usersModule, UserEntity } = require("@honour/users");
const { consentJobs, consentModule, ConsentPreferenceEntity, createConsentServices } = require("@honour/consent");

const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 10_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 50);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 1);
const KIND = process.env.BENCH_DB === "sqlite" ? "sqlite" : "mysql";
process.env.TEST_DATABASE_URL ??= "mysql://root@127.0.0.1:3306/test";

async function main() {
  let received = 0;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    logger: false,
    onData(stream, _session, callback) {
      stream.on("data", () => {});
      stream.on("end", () => {
        received += 1;
        callback();
      });
    },
  });
  await new Promise((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  const db = await openTestDataSource(KIND, [platformModule, usersModule, consentModule]);
  const config = loadConfig({
    NODE_ENV: "test",
    HONOUR_SECRET: "a-bench-secret-that-is-long-enough-0123456789",
    PUBLIC_URL: "https://www.honour.example",
  });
  const platform = createPlatform(config, db.dataSource, {
    clock: systemClock,
    jobs: new SqlJobQueue(db.dataSource, systemClock),
    logger: silentLogger,
  });
  const users = createUsersServices(platform);
  const services = createConsentServices(platform, users, {
    smtpUrl: `smtp://127.0.0.1:${smtp.server.address().port}`,
    sender: { batchSize: BATCH, concurrency: CONCURRENCY },
  });
  try {
    // Seed the recipients directly: this measures sending, not registration.
    const now = new Date();
    const rows = Array.from({ length: RECIPIENTS }, (_, i) => ({
      id: newId(now.getTime()),
      email: `reader${i}@bench.example`,
      passwordHash: "scrypt$1$1$1$x$x",
      name: `Reader ${i}`,
      role: Role.CUSTOMER,
      keepBillingDetails: true,
      keepOrderHistory: true,
      createdAt: now,
      updatedAt: now,
    }));
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      await db.dataSource.createQueryBuilder().insert().into(UserEntity).values(chunk).updateEntity(false).execute();
      await db.dataSource
        .createQueryBuilder()
        .insert()
        .into(ConsentPreferenceEntity)
        .values(
          chunk.map((u) => ({
            userId: u.id,
            topic: Topic.NEWSLETTER,
            channel: Channel.EMAIL,
            granted: true,
            method: "REGISTRATION_FORM",
            policyVersion: 1,
            eventId: newId(),
            updatedAt: now,
          })),
        )
        .updateEntity(false)
        .execute();
    }
    const staff = new RequestContext(
      db.dataSource,
      { kind: "user", userId: rows[0].id, role: Role.MARKETING, sessionId: "bench" },
      systemClock,
    );
    const campaign = await staff.transaction((tx) =>
      services.campaigns.create(tx, { topic: Topic.NEWSLETTER, subject: "Bench", bodyText: "Hello.\n" }),
    );
    const { jobs, schedules } = consentJobs(services);
    const runner = new JobRunner(db.dataSource, platform.jobs, systemClock, jobs, schedules, silentLogger, {
      pollMs: 5,
    });
    const started = process.hrtime.bigint();
    await staff.transaction((tx) => services.campaigns.send(tx, campaign.id));
    runner.start();
    for (;;) {
      const found = await services.campaigns.find(
        new RequestContext(db.dataSource, ANONYMOUS, systemClock),
        campaign.id,
      );
      if (found.status === "SENT") break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await runner.stop();
    console.log(
      JSON.stringify({
        database: KIND,
        recipients: RECIPIENTS,
        batch: BATCH,
        concurrency: CONCURRENCY,
        received,
        seconds: Number(seconds.toFixed(2)),
        messagesPerSecond: Math.round(received / seconds),
      }),
    );
  } finally {
    services.close();
    await db.close();
    await new Promise((resolve) => smtp.close(resolve));
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
