// Compile TypeScript to dist/ and copy the runtime assets tsc does not emit (SQL migrations, eval data).
import { execFileSync } from "node:child_process";
import { cpSync, rmSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
rmSync("dist", { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], { stdio: "inherit" });
cpSync("drizzle/migrations", "dist/drizzle/migrations", { recursive: true });
// The eval suite's data: scenarios and their private catalogues, read beside the compiled runner.
cpSync("evals/scenarios", "dist/evals/scenarios", { recursive: true });
cpSync("evals/fixtures/catalogues", "dist/evals/fixtures/catalogues", { recursive: true });
console.log("built dist/");
