import { type Command, Option } from "commander";
import { listOutbox, OUTBOX_KINDS, type OutboxKind } from "../../domain/sandbox.js";
import { ensureWorkspace } from "../../domain/workspaces.js";
import type { SandboxObject } from "../../drizzle/schema/index.js";
import { createRuntime, openDatabase } from "../runtime.js";

/** The fields a person looks for first, in this order; the rest stays in --json. */
const SUMMARY_FIELDS = ["to", "channel", "title", "summary", "text", "body", "amount", "currency", "start", "email", "role"];

function summary(data: Record<string, unknown>): string {
  const parts = SUMMARY_FIELDS.filter((field) => data[field] !== undefined && typeof data[field] !== "object").map((field) => `${field}=${JSON.stringify(data[field])}`);
  const text = parts.length > 0 ? parts.join(" ") : JSON.stringify(data);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

function line(object: SandboxObject): string {
  const when = object.createdAt.toISOString().replace("T", " ").slice(0, 19);
  return [when, `${object.service}/${object.kind}`, object.externalId, object.status, summary(object.data)].join("  ");
}

export function registerSandbox(program: Command): void {
  const sandbox = program.command("sandbox").description("inspect what the sandbox backends did (no credentials configured)");
  sandbox
    .command("outbox")
    .description("SMS, Slack posts, payments, calendar entries and documents, newest first")
    .addOption(new Option("--kind <kind>", "only one kind").choices(Object.keys(OUTBOX_KINDS)))
    .option("--workspace <name>", "workspace (default EVENT_PLANNER_WORKSPACE)")
    .option("--limit <n>", "at most this many", "50")
    .option("--json", "print the objects as JSON")
    .action(async (options: { kind?: OutboxKind; workspace?: string; limit: string; json?: boolean }) => {
      const runtime = createRuntime();
      const handle = await openDatabase(runtime);
      try {
        const workspace = await ensureWorkspace(handle.db, options.workspace ?? runtime.config.workspace);
        const ctx = { db: handle.db, workspaceId: workspace.id, actor: { kind: "system" as const, id: "cli" } };
        const objects = await listOutbox(ctx, options.kind, Number(options.limit) || 50);
        if (options.json) {
          process.stdout.write(`${JSON.stringify(objects, null, 2)}\n`);
        } else if (objects.length === 0) {
          process.stdout.write(`The sandbox outbox of workspace "${workspace.name}" is empty${options.kind ? ` for ${options.kind}` : ""}.\n`);
        } else {
          process.stdout.write(`${objects.map(line).join("\n")}\n`);
        }
      } finally {
        await handle.close();
      }
    });
}
