// Build the web UI (api/web, Vite) into dist/web, which the API serves at `/`.
//   node scripts/build-web.js             always build
//   node scripts/build-web.js --if-stale  build only when dist/web is missing or its sources changed
// Staleness is a hash of the sources' contents (not their times, which a checkout resets), kept
// beside the output. Without the sources (a container with dist/ only) there is nothing to build.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const webRoot = path.join(root, "api/web");
const outDir = path.join(root, "dist/web");
const stampFile = path.join(root, "dist/.web-source-hash");
const ifStale = process.argv.includes("--if-stale");

/** Every file the bundle depends on: the UI's own files and the locked dependency versions. */
function sourceFiles() {
  const files = ["index.html", "vite.config.ts", "tsconfig.json"].map((name) => path.join(webRoot, name));
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(full);
    }
  };
  walk(path.join(webRoot, "src"));
  walk(path.join(webRoot, "public"));
  files.push(path.join(root, "package-lock.json"));
  return files.filter((file) => existsSync(file)).sort();
}

function sourceHash() {
  const hash = createHash("sha256");
  for (const file of sourceFiles()) hash.update(path.relative(root, file)).update("\0").update(readFileSync(file)).update("\0");
  return hash.digest("hex");
}

if (!existsSync(path.join(webRoot, "index.html"))) {
  console.log(existsSync(path.join(outDir, "index.html")) ? "web UI: no sources here, serving the built dist/web" : "web UI: no sources and no dist/web; the API will say so at /");
  process.exit(0);
}

const hash = sourceHash();
const current = existsSync(stampFile) ? readFileSync(stampFile, "utf8").trim() : "";
if (ifStale && current === hash && existsSync(path.join(outDir, "index.html"))) {
  console.log("web UI: dist/web is up to date");
  process.exit(0);
}

let vite;
try {
  vite = await import("vite");
} catch {
  // A production install (npm ci --omit=dev) has no Vite: start anyway, serving whatever was built.
  console.warn(`web UI: cannot build without the dev dependencies (npm ci); ${existsSync(path.join(outDir, "index.html")) ? "serving the dist/web already built" : "the API will say so at /"}`);
  process.exit(0);
}
await vite.build({ configFile: path.join(webRoot, "vite.config.ts"), logLevel: "warn" });
writeFileSync(stampFile, `${hash}\n`);
console.log("built dist/web");
