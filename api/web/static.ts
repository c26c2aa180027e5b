/**
 * Serves the built web UI (dist/web, see scripts/build-web.js) at `/`.
 *
 * Mounted after the router, so it only sees requests no API route answered. A file that exists is
 * sent with its content type; the hashed bundles under /assets/ may be cached for a year, everything
 * else is revalidated. The UI's own URLs (/conversations/…, /events/…) get index.html, so a reload
 * or a shared link works; so does any other non-API path a browser navigates to (it asks for HTML),
 * where the UI says the page does not exist. A client that does not ask for HTML keeps the API's JSON
 * 404. Without a build, the page is a plain-text answer that says how to build it.
 */
import { send } from "@koa/send";
import type { Middleware } from "koa";
import { stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ApiContextExtras, ApiState } from "../state.js";

/** Paths that belong to the API: an unknown one is a JSON 404, never the UI. */
const API_PREFIXES = ["/v1", "/webhooks", "/healthz", "/readyz", "/metrics", "/openapi.json"];
/** The UI's own pages (see src/router.ts). */
const UI_PREFIXES = ["/conversations", "/approvals", "/events", "/outbox"];

const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "no-cache";

export const NOT_BUILT_MESSAGE = [
  "The web UI has not been built.",
  "",
  "Build it with `node scripts/build-web.js` (`npm start` and `npm run build` do this for you), then reload.",
  "The HTTP API works without it: see /openapi.json.",
  "",
].join("\n");

/** dist/web, whether this module runs from source (api/web/static.ts) or compiled (dist/api/web/static.js). */
export function defaultWebRoot(): string {
  const compiled = import.meta.url.endsWith(".js");
  return fileURLToPath(new URL(compiled ? "../../web/" : "../../dist/web/", import.meta.url));
}

function under(requestPath: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => requestPath === prefix || requestPath.startsWith(`${prefix}/`));
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** The request path as a path inside the web root, or undefined when it is malformed or climbs out. */
function relativeFile(requestPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(requestPath);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0")) return undefined;
  const normalized = path.posix.normalize(decoded).replace(/^\/+/, "");
  if (normalized.startsWith("..")) return undefined;
  return normalized;
}

export function webUi(root: string = defaultWebRoot()): Middleware<ApiState, ApiContextExtras> {
  return async (ctx, next) => {
    const relative = relativeFile(ctx.path);
    if ((ctx.method !== "GET" && ctx.method !== "HEAD") || ctx.body !== undefined || under(ctx.path, API_PREFIXES) || relative === undefined) {
      await next();
      return;
    }

    if (relative !== "" && (await isFile(path.join(root, relative)))) {
      ctx.set("Cache-Control", relative.startsWith("assets/") ? IMMUTABLE : REVALIDATE);
      await send(ctx, relative, { root, hidden: false });
      return;
    }
    // A missing file (it has an extension) is a 404, not the page: a browser must not run HTML as a script.
    const page = path.posix.extname(relative) === "" && (relative === "" || under(ctx.path, UI_PREFIXES) || ctx.get("Accept").includes("text/html"));
    if (!page) {
      await next();
      return;
    }

    if (!(await isFile(path.join(root, "index.html")))) {
      ctx.status = 503;
      ctx.type = "text/plain; charset=utf-8";
      ctx.set("Cache-Control", "no-store");
      ctx.body = NOT_BUILT_MESSAGE;
      return;
    }
    ctx.set("Cache-Control", REVALIDATE);
    await send(ctx, "index.html", { root });
  };
}
