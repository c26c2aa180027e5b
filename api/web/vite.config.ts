/**
 * Vite build of the web UI: `api/web` is the root, the output goes to `dist/web`, which
 * api/web/static.ts serves at `/`. Built by scripts/build-web.js (never served by Vite itself).
 */
import preact from "@preact/preset-vite";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  plugins: [preact()],
  // The run reads no .env files: the UI has no build-time settings, and a stray .env must not leak into the bundle.
  envDir: false,
  build: {
    outDir: fileURLToPath(new URL("../../dist/web", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    // Hashed names under assets/ are what static.ts caches for a year.
    assetsDir: "assets",
    reportCompressedSize: false,
  },
  logLevel: "warn",
});
