import { pino } from "pino";
import { createDatabase, type DatabaseHandle } from "../drizzle/client.js";
import { runMigrations } from "../drizzle/migrate.js";
import { seedCatalogue } from "../drizzle/seed/seed-catalogue.js";
import { loadConfig, type Config } from "../lib/config.js";
import { createLogger, type Logger } from "../lib/logger.js";
import { explainDatabaseError } from "./services.js";

export interface Runtime {
  config: Config;
  logger: Logger;
}

/**
 * Config and logger for a command. One-shot commands log to stderr so their stdout stays the
 * command's output (a key, a plan as JSON) and can be piped.
 */
export function createRuntime(options: { logTo?: "stdout" | "stderr" } = {}): Runtime {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, secrets: config.secrets, destination: pino.destination(options.logTo === "stdout" ? 1 : 2) });
  return { config, logger };
}

/** Open the configured database with migrations applied and the catalogue seeded: what every start does. */
export async function openDatabase({ config, logger }: Runtime): Promise<DatabaseHandle> {
  const handle = await createDatabase(config);
  try {
    await runMigrations(handle).catch((error: unknown) => {
      throw explainDatabaseError(error, config.database.kind === "postgres" ? config.database.url : undefined);
    });
    const seeded = await seedCatalogue(handle.db);
    logger.debug({ driver: handle.driver, ...seeded }, "database ready");
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

export function describeDatabase(config: Config): string {
  return config.database.kind === "postgres" ? "Postgres (DATABASE_URL)" : `embedded PGlite in ${config.database.dataDir} (single process; set DATABASE_URL for production)`;
}
