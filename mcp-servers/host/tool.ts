import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult, ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { beginToolCall, completeToolCall, failToolCall, getToolCall, markToolCallRunning } from "../../domain/tool-calls.js";
import { fromDatabaseError } from "../../drizzle/errors.js";
import { AppError, isOutcomeUnknown } from "../../lib/errors.js";
import type { ToolContext } from "./context.js";
import type { ToolMetrics, ToolOutcome } from "./metrics.js";

/** Every side-effect tool takes one; the same key never acts twice. */
export const idempotencyKey = z
  .string()
  .trim()
  .min(8, { error: "must be at least 8 characters" })
  .max(200)
  .describe("A unique key for this action, e.g. the tool_use id. Repeating a call with the same key returns the first result instead of acting again.");

type Shape = z.ZodRawShape;

export interface ToolSpec<I extends Shape, O extends Shape> {
  name: string;
  title: string;
  /** Written for the model: when to use the tool, what it returns, what it will not do. */
  description: string;
  input: I;
  output: O;
  annotations: Required<Pick<ToolAnnotations, "readOnlyHint" | "destructiveHint" | "idempotentHint" | "openWorldHint">>;
  /**
   * A tool that changes state takes `idempotency_key`; a retry with the same key returns the
   * stored result instead of acting again.
   */
  sideEffect: boolean;
  /**
   * `database` (default): the effect, its ledger entry and its result commit in one transaction.
   * `external`: the effect leaves our database (a vendor API, or a sandbox standing in for one), so
   * the ledger entry is committed before the call and completed after it.
   */
  effect?: "database" | "external";
  /**
   * For `external` effects: whether acting again with the same key is harmless because the vendor
   * (or the sandbox) deduplicates it, e.g. Stripe's Idempotency-Key or a caller-chosen calendar
   * event id. When false, a call whose outcome is unknown (a crash mid-call) is not repeated.
   */
  retrySafe?: boolean;
  handler: (ctx: ToolContext, input: z.output<z.ZodObject<I>>, call: ToolCallInfo) => Promise<z.input<z.ZodObject<O>>>;
}

export interface ToolCallInfo {
  /** The caller's idempotency key, for side-effect tools: pass it on to the vendor. */
  idempotencyKey?: string;
}

/** A tool with its types erased, ready to be registered on a fresh McpServer per connection. */
export interface Tool {
  name: string;
  title: string;
  description: string;
  sideEffect: boolean;
  annotations: ToolSpec<Shape, Shape>["annotations"];
  register(server: McpServer, serverName: string, ctx: ToolContext, metrics: ToolMetrics): void;
}

function errorResult(error: AppError): CallToolResult {
  return { isError: true, content: [{ type: "text", text: `${error.code}: ${error.message}` }] };
}

async function runInTransaction<I extends Shape, O extends Shape>(
  spec: ToolSpec<I, O>,
  serverName: string,
  ctx: ToolContext,
  args: z.output<z.ZodObject<I>> & { idempotency_key: string },
): Promise<{ output: unknown; replayed: boolean }> {
  const { idempotency_key: key, ...input } = args;
  return ctx.db.transaction(async (tx) => {
    const txCtx: ToolContext = { ...ctx, db: tx };
    const { call, replay } = await beginToolCall(txCtx, { runId: ctx.runId, server: serverName, tool: spec.name, idempotencyKey: key, arguments: input });
    if (replay) {
      if (call.status !== "succeeded") throw new AppError("conflict", `idempotency_key ${key} belongs to a call that is ${call.status}`, { field: "idempotency_key" });
      return { output: call.result, replayed: true };
    }
    await markToolCallRunning(txCtx, call.id);
    const output = await spec.handler(txCtx, input as z.output<z.ZodObject<I>>, { idempotencyKey: key });
    await completeToolCall(txCtx, call.id, { result: output });
    return { output, replayed: false };
  });
}

async function runAroundExternalCall<I extends Shape, O extends Shape>(
  spec: ToolSpec<I, O>,
  serverName: string,
  ctx: ToolContext,
  args: z.output<z.ZodObject<I>> & { idempotency_key: string },
): Promise<{ output: unknown; replayed: boolean }> {
  const { idempotency_key: key, ...input } = args;
  const { call, replay } = await beginToolCall(ctx, { runId: ctx.runId, server: serverName, tool: spec.name, idempotencyKey: key, arguments: input });
  if (replay && call.status === "succeeded") return { output: call.result, replayed: true };
  const inFlight = replay && (call.status === "pending" || call.status === "running");
  if (inFlight && !spec.retrySafe) {
    throw new AppError("conflict", `idempotency_key ${key}: an earlier call with this key may already have acted and its outcome is unknown; check before acting again with a new key`, {
      field: "idempotency_key",
    });
  }
  if (call.status !== "running") await markToolCallRunning(ctx, call.id);
  let output: unknown;
  try {
    output = await spec.handler(ctx, input as z.output<z.ZodObject<I>>, { idempotencyKey: key });
  } catch (error) {
    // Unknown outcome: the entry stays `running`, so a retry with this key is refused unless retry-safe.
    if (isOutcomeUnknown(error)) throw error;
    const appError = fromDatabaseError(error);
    // The vendor refused, so nothing happened: the same key may be tried again.
    await failToolCall(ctx, call.id, { error: { code: appError.code, message: appError.message } }).catch(() => undefined);
    throw error;
  }
  try {
    await completeToolCall(ctx, call.id, { result: output });
  } catch (error) {
    // A concurrent retry of a retry-safe call finished first: its result is the same action's.
    const current = await getToolCall(ctx, call.id);
    if (current.status !== "succeeded") throw error;
    return { output: current.result, replayed: true };
  }
  return { output, replayed: false };
}

export function defineTool<I extends Shape, O extends Shape>(spec: ToolSpec<I, O>): Tool {
  // Typed as a plain schema: the SDK's generic inference cannot follow a conditional object shape.
  const inputSchema: z.ZodType = spec.sideEffect ? z.object({ ...spec.input, idempotency_key: idempotencyKey }).strict() : z.object(spec.input).strict();
  const outputSchema = z.object(spec.output);
  return {
    name: spec.name,
    title: spec.title,
    description: spec.description,
    sideEffect: spec.sideEffect,
    annotations: spec.annotations,
    register(server, serverName, ctx, metrics) {
      server.registerTool(
        spec.name,
        { title: spec.title, description: spec.description, inputSchema, outputSchema, annotations: { title: spec.title, ...spec.annotations } },
        async (args): Promise<CallToolResult> => {
          const started = process.hrtime.bigint();
          let outcome: ToolOutcome = "ok";
          try {
            let output: unknown;
            if (spec.sideEffect) {
              const run = spec.effect === "external" ? runAroundExternalCall : runInTransaction;
              const result = await run(spec, serverName, ctx, args as z.output<z.ZodObject<I>> & { idempotency_key: string });
              output = result.output;
              if (result.replayed) outcome = "replayed";
            } else {
              output = await spec.handler(ctx, args as z.output<z.ZodObject<I>>, {});
            }
            // Parse, not just check: the JSON sent is exactly what the declared schema describes.
            const structured = outputSchema.parse(output);
            return { content: [{ type: "text", text: JSON.stringify(structured) }], structuredContent: structured };
          } catch (error) {
            const appError = fromDatabaseError(error);
            if (appError.code === "internal") {
              outcome = "internal_error";
              ctx.logger.error({ err: error, server: serverName, tool: spec.name }, "tool failed");
              return errorResult(new AppError("internal", `${spec.name} failed unexpectedly; the error is in the server log`));
            }
            outcome = "tool_error";
            return errorResult(appError);
          } finally {
            metrics.observe(serverName, spec.name, outcome, Number(process.hrtime.bigint() - started) / 1e9);
          }
        },
      );
    },
  };
}
