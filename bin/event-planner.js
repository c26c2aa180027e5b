#!/usr/bin/env node
// Runs the CLI from TypeScript source in a checkout (dev, tests, `npx event-planner`) and from the
// compiled dist/ in a container image, where the sources are not shipped.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const source = fileURLToPath(new URL("../cli/main.ts", import.meta.url));
let cli;
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  cli = await import("../cli/main.ts");
} else {
  cli = await import("../dist/cli/main.js");
}
await cli.run(process.argv);
