import "reflect-metadata";
import { ConfigException, describeServer, loadConfig, migrateSchema, openDataSource } from "@honour/platform";
import { moduleDefinitions } from "@honour/composition";

/** `npm run migrate`: brings the configured database's schema up to date, then exits. */
async function main(): Promise<void> {
  const config = loadConfig();
  const { dataSource, server } = await openDataSource(config.database, {
    entities: moduleDefinitions.flatMap((m) => m.entities),
    migrations: moduleDefinitions.flatMap((m) => m.migrations),
    logging: false,
  });
  try {
    if (server) console.log(`database: ${describeServer(server)}`);
    const applied = await migrateSchema(dataSource);
    if (config.database.kind === "sqlite") console.log(`Schema of ${config.database.path} is up to date.`);
    else console.log(applied.length ? `Applied: ${applied.join(", ")}` : "No pending migrations.");
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error) => {
  console.error(error instanceof ConfigException ? error.message : error);
  process.exit(1);
});
