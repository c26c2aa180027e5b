import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**", "bench/**"],
    globalSetup: ["./test/global-setup.ts"],
    reporters: ["default", "./test/summary-reporter.ts"],
    // Each file gets its own Postgres database and PGlite instance, so files run in parallel safely.
    fileParallelism: true,
    pool: "forks",
    // Vitest would use one worker on two cores; our files wait on databases and child processes, so two pay off.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
