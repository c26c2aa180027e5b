/**
 * The model interface the agent loop calls. Shapes mirror Anthropic's Messages API content blocks
 * so a conversation can be persisted step by step and replayed to the API unchanged, but nothing
 * here imports the SDK: the loop and its tests depend only on these types.
 */
import { z } from "zod";

/** JSON Schema of a tool's input, as an MCP server advertises it. */
export const jsonSchemaObject = z.looseObject({ type: z.literal("object") });

export const modelToolSchema = z.object({
  /** Namespaced `server__tool`; the API allows [a-zA-Z0-9_-]{1,128}. */
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,128}$/),
  description: z.string(),
  input_schema: jsonSchemaObject,
});
export type ModelTool = z.infer<typeof modelToolSchema>;

export interface TextBlock {
  type: "text";
  text: string;
}

export interface ToolUseBlock {
  type: "tool_use";
  id: string;
  name: string;
  input: Record<string, unknown>;
}

export interface ToolResultBlock {
  type: "tool_result";
  tool_use_id: string;
  content: string | TextBlock[];
  /** True tells the model the call failed, so it can correct itself instead of trusting the text. */
  is_error?: boolean;
}

export type ContentBlock = TextBlock | ToolUseBlock | ToolResultBlock;

export interface ConversationMessage {
  role: "user" | "assistant";
  content: string | ContentBlock[];
}

export interface ModelRequest {
  system: string;
  tools: ModelTool[];
  messages: ConversationMessage[];
  maxTokens: number;
  /** Streaming progress: called with each piece of text as it arrives. Errors it throws are ignored. */
  onText?: (delta: string) => void;
  /** Aborts the call, e.g. when the run's wall-time limit is reached. */
  signal?: AbortSignal;
}

/**
 * A tool call as the model produced it. `inputError` is set when the model's arguments were not a
 * JSON object; `input` is then `{}` so the block can still be replayed to the API, and the loop
 * should answer with an `is_error` tool_result rather than call the tool.
 */
export interface ModelToolUse extends ToolUseBlock {
  inputError?: string;
}

export type ModelContentBlock = TextBlock | ModelToolUse;

export const STOP_REASONS = ["end_turn", "tool_use", "max_tokens", "stop_sequence", "refusal", "pause_turn", "model_context_window_exceeded"] as const;
export type StopReason = (typeof STOP_REASONS)[number];

export interface ModelUsage {
  /** Input tokens billed at the base rate (excludes cache writes and reads). */
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
}

export interface ModelTurn {
  content: ModelContentBlock[];
  stopReason: StopReason;
  usage: ModelUsage;
  /** The model that answered, as the API reports it (may carry a date suffix). */
  model: string;
}

export interface ModelClient {
  /** The model requested, for pricing before the first answer arrives. */
  readonly model: string;
  turn(request: ModelRequest): Promise<ModelTurn>;
}

export const ZERO_USAGE: ModelUsage = Object.freeze({ inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 });

export function addUsage(a: ModelUsage, b: ModelUsage): ModelUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
  };
}

/** The assistant message to append to the conversation after a turn (drops our-only fields). */
export function assistantMessage(turn: ModelTurn): ConversationMessage {
  return {
    role: "assistant",
    content: turn.content.map((block): ContentBlock => (block.type === "text" ? { type: "text", text: block.text } : { type: "tool_use", id: block.id, name: block.name, input: block.input })),
  };
}
