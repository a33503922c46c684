import "reflect-metadata";
import { ConfigException, describeServer, loadConfig } from "@honour/platform";
import { startGateway } from "./gateway";
import { CONSOLE_PATH, consoleSettings } from "./http/console.routes";
import { createLogger } from "./observability/logger";

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigException) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  let gateway;
  try {
    gateway = await startGateway(config, { logger });
  } catch (error) {
    // An unsupported database server is a setting to change, not a crash to debug.
    if (error instanceof ConfigException) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const database =
    config.database.kind === "sqlite"
      ? `SQLite file ${config.database.path}`
      : gateway.server
        ? describeServer(gateway.server)
        : "MySQL/MariaDB";
  logger.info({ url: gateway.url, database }, "gateway listening");
  const publicNote = config.publicUrl === gateway.url || config.port === 0 ? "" : ` (public URL ${config.publicUrl})`;
  console.log(`\nHonour gateway is ready: GraphQL at ${gateway.url}/graphql${publicNote}, on ${database}`);
  console.log(`Staff console: ${gateway.url}${CONSOLE_PATH}`);
  if (consoleSettings(config).graphqlIde) console.log(`GraphQL IDE (in a browser): ${gateway.url}/graphql`);
  if (gateway.demoAccounts) {
    console.log("Demo accounts (sign in with the login mutation, or any GraphQL client at the URL above):");
    for (const account of gateway.demoAccounts) {
      console.log(`  ${account.role.padEnd(9)} ${account.email}  password: ${account.password}`);
    }
  }
  if (gateway.demoExtras) {
    const demo = gateway.demoExtras;
    console.log(`Demo partner "${demo.partnerName}", API key (shown once): Authorization: Bearer ${demo.partnerKey}`);
    console.log(
      `Demo data: products ${demo.products.join(", ")}; campaign draft "${demo.campaignSubject}"; ` +
        `${demo.pageViews} page views over the last 30 days`,
    );
  }
  if (config.admin) console.log(`Admin account: ${config.admin.email} (password from HONOUR_ADMIN_PASSWORD)`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: finishing in-flight requests");
    const force = setTimeout(() => {
      logger.error("shutdown took longer than 15 s; exiting");
      process.exit(1);
    }, 15_000);
    force.unref();
    gateway.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((error) => {
  console.error("The gateway could not start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
