/**
 * The bridge between MCP tools and the model: which tools it sees and in what shape, the
 * idempotency key each call carries, and how a tool's answer is put into words for it.
 */
import { createHash } from "node:crypto";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { McpToolDescriptor } from "./mcp/manager.js";
import type { ModelTool } from "./model/types.js";

/** Tools the loop itself calls (posting an approval to Slack); offering them to the model would let it forge approval requests. */
export const LOOP_ONLY_TOOLS: ReadonlySet<string> = new Set(["slack__post_approval_request", "slack__answer_in_thread"]);

const IDEMPOTENCY_PROPERTY = "idempotency_key";

/** Largest tool result the model reads; more is cut with a note, the full result stays in the step. */
export const MAX_RESULT_CHARS = 40_000;

export function takesIdempotencyKey(tool: Pick<McpToolDescriptor, "inputSchema">): boolean {
  const properties = tool.inputSchema.properties;
  return typeof properties === "object" && properties !== null && IDEMPOTENCY_PROPERTY in properties;
}

/**
 * One key per (run, tool use), the same in every process that resumes the run, so a retried call
 * reaches the server's ledger under the key of its first attempt and acts at most once.
 */
export function deriveIdempotencyKey(runId: string, toolUseId: string): string {
  return `run-${createHash("sha256").update(`${runId}\u0000${toolUseId}`).digest("hex").slice(0, 40)}`;
}

/**
 * The tools as the model sees them: the loop supplies idempotency keys, so the property is taken
 * out of each schema rather than left for the model to fill in (or reuse by mistake).
 */
export function modelTools(descriptors: readonly McpToolDescriptor[]): ModelTool[] {
  return descriptors
    .filter((tool) => !LOOP_ONLY_TOOLS.has(tool.name))
    .map((tool) => {
      const { properties, required, ...schema } = tool.inputSchema;
      const visible = Object.fromEntries(Object.entries(properties ?? {}).filter(([key]) => key !== IDEMPOTENCY_PROPERTY));
      const stillRequired = (required ?? []).filter((key) => key !== IDEMPOTENCY_PROPERTY);
      return {
        name: tool.name,
        description: tool.description,
        input_schema: { ...schema, type: "object" as const, properties: visible, ...(stillRequired.length > 0 ? { required: stillRequired } : {}) },
      };
    });
}

/** The text of a tool's answer, as the model reads it. */
export function resultText(result: CallToolResult): string {
  const text = result.content
    .map((part) => (part.type === "text" ? part.text : `[${part.type} content omitted]`))
    .join("\n")
    .trim();
  const body = text || (result.structuredContent ? JSON.stringify(result.structuredContent) : "(no output)");
  return body.length > MAX_RESULT_CHARS ? `${body.slice(0, MAX_RESULT_CHARS)}\n[cut: the result was ${body.length} characters; ask for less]` : body;
}
