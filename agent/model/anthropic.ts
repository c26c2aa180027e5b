/**
 * ModelClient over Anthropic's Messages API (streaming). Retries of 429/5xx/529 are the SDK's:
 * it honours retry-after and backs off; we only translate what is left into AppErrors.
 */
import Anthropic, { AnthropicError, APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "@anthropic-ai/sdk";
import type { ContentBlockParam, MessageParam, TextBlockParam, Tool } from "@anthropic-ai/sdk/resources/messages";
import { z } from "zod";
import type { Config } from "../../lib/config.js";
import { AppError, ConfigError, outcomeUnknown } from "../../lib/errors.js";
import { STOP_REASONS, type ContentBlock, type ConversationMessage, type ModelClient, type ModelContentBlock, type ModelRequest, type ModelTurn } from "./types.js";

export const DEFAULT_MAX_RETRIES = 4;

export interface AnthropicModelOptions {
  maxRetries?: number;
  /** Per-attempt timeout in milliseconds (SDK default: 10 minutes). */
  timeoutMs?: number;
}

const EPHEMERAL = { type: "ephemeral" } as const;

/** The subset of the SDK's final Message we rely on, checked rather than trusted. */
const finalMessageSchema = z.object({
  model: z.string(),
  stop_reason: z.enum(STOP_REASONS),
  usage: z.object({
    input_tokens: z.number().int().nonnegative(),
    output_tokens: z.number().int().nonnegative(),
    cache_creation_input_tokens: z.number().int().nonnegative().nullish(),
    cache_read_input_tokens: z.number().int().nonnegative().nullish(),
  }),
});
const textBlockSchema = z.object({ type: z.literal("text"), text: z.string() });
const toolUseBlockSchema = z.object({ type: z.literal("tool_use"), id: z.string(), name: z.string() });
const toolInputSchema = z.record(z.string(), z.unknown());

function toParamBlock(block: ContentBlock): ContentBlockParam {
  switch (block.type) {
    case "text":
      return { type: "text", text: block.text };
    case "tool_use":
      return { type: "tool_use", id: block.id, name: block.name, input: block.input };
    case "tool_result":
      return {
        type: "tool_result",
        tool_use_id: block.tool_use_id,
        content: typeof block.content === "string" ? block.content : block.content.map((text) => ({ type: "text", text: text.text })),
        ...(block.is_error === undefined ? {} : { is_error: block.is_error }),
      };
  }
}

/**
 * Cache breakpoints: tools and system are identical on every step of a run, and the last block
 * of the conversation marks the prefix the next step will re-send, so each step reads the previous
 * step's prefix from cache and writes only what was added. Three of the API's four breakpoints.
 */
export function buildParams(model: string, request: ModelRequest): Anthropic.MessageCreateParamsNonStreaming {
  const tools: Tool[] = request.tools.map((tool, index) => ({
    name: tool.name,
    description: tool.description,
    input_schema: tool.input_schema,
    ...(index === request.tools.length - 1 ? { cache_control: EPHEMERAL } : {}),
  }));
  const system: TextBlockParam[] = [{ type: "text", text: request.system, cache_control: EPHEMERAL }];
  const messages: MessageParam[] = request.messages.map((message: ConversationMessage, index) => {
    const blocks: ContentBlockParam[] = typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content.map(toParamBlock);
    if (index === request.messages.length - 1 && blocks.length > 0) {
      const last = blocks.length - 1;
      blocks[last] = { ...blocks[last]!, cache_control: EPHEMERAL } as ContentBlockParam;
    }
    return { role: message.role, content: blocks };
  });
  return { model, max_tokens: request.maxTokens, system, messages, ...(tools.length > 0 ? { tools } : {}) };
}

function toContent(raw: ReadonlyArray<{ type: string }>): ModelContentBlock[] {
  const out: ModelContentBlock[] = [];
  for (const block of raw) {
    if (block.type === "text") {
      out.push(textBlockSchema.parse(block));
    } else if (block.type === "tool_use") {
      const { id, name } = toolUseBlockSchema.parse(block);
      let input: unknown;
      try {
        // The SDK's tool input is a lazy JSON getter; the stream normally evaluates it first, but a
        // throw here must still become a flagged block rather than a lost turn.
        input = (block as { input?: unknown }).input;
      } catch (error) {
        out.push({ type: "tool_use", id, name, input: {}, inputError: `the tool arguments were not valid JSON (${String(error)})` });
        continue;
      }
      const parsed = toolInputSchema.safeParse(input);
      if (parsed.success) out.push({ type: "tool_use", id, name, input: parsed.data });
      else out.push({ type: "tool_use", id, name, input: {}, inputError: "the tool arguments were not a JSON object" });
    }
    // Other block types (thinking, server tools) are not requested by this client.
  }
  return out;
}

// A bare instanceof narrows to APIError<any, any, any>; this keeps the default type parameters.
function isApiError(error: unknown): error is APIError {
  return error instanceof APIError;
}

/** Translate an SDK failure (after its retries) into an AppError a person can act on. */
export function toAppError(error: unknown, maxRetries: number): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof APIUserAbortError) return new AppError("upstream_failed", "The model call was cancelled before it finished.", { cancelled: true }, { cause: error });
  if (error instanceof APIConnectionTimeoutError) {
    // The request may have been processed (and billed) before the answer was lost.
    return outcomeUnknown(new AppError("upstream_failed", "The Anthropic API did not answer in time.", { timeout: true }, { cause: error }));
  }
  if (error instanceof APIConnectionError) {
    return outcomeUnknown(new AppError("upstream_failed", `Could not reach the Anthropic API (${error.message}).`, {}, { cause: error }));
  }
  if (isApiError(error)) {
    const apiError = error;
    const status: number | undefined = apiError.status;
    const detail = apiError.apiMessage ?? apiError.message;
    const details = { status, type: apiError.type, requestId: apiError.requestID ?? undefined };
    if (status === 529 || apiError.type === "overloaded_error") {
      return new AppError("upstream_failed", `The Anthropic API is overloaded; gave up after ${maxRetries} retries. Try again in a few minutes.`, { ...details, overloaded: true }, { cause: error });
    }
    switch (status) {
      case 429:
        return new AppError("rate_limited", `The Anthropic API rate limit was reached and ${maxRetries} retries did not clear it: ${detail}`, details, { cause: error });
      case 400:
        return new AppError("validation_failed", `The Anthropic API rejected the request: ${detail}`, details, { cause: error });
      case 401:
        return new AppError("unauthorized", "The Anthropic API rejected the API key; check ANTHROPIC_API_KEY.", details, { cause: error });
      case 403:
        return new AppError("forbidden", `The Anthropic API key is not allowed to do this: ${detail}`, details, { cause: error });
      case 413:
        return new AppError("payload_too_large", "The conversation is too large for the Anthropic API.", details, { cause: error });
      default:
        return new AppError("upstream_failed", `The Anthropic API failed${status ? ` (HTTP ${status})` : ""}: ${detail}`, details, { cause: error });
    }
  }
  if (error instanceof AnthropicError && error.cause instanceof SyntaxError) {
    // The SDK parses streamed tool arguments as they complete; malformed JSON ends the stream.
    return new AppError("upstream_failed", `The model sent tool arguments that are not valid JSON (${error.cause.message}).`, { malformedToolInput: true }, { cause: error });
  }
  if (error instanceof z.ZodError) {
    return new AppError("upstream_failed", `The Anthropic API sent a response this service does not understand: ${error.message}`, {}, { cause: error });
  }
  return new AppError("internal", `The model call failed unexpectedly: ${String(error)}`, {}, { cause: error });
}

export class AnthropicModelClient implements ModelClient {
  readonly model: string;
  readonly #client: Anthropic;
  readonly #maxRetries: number;

  constructor(llm: Pick<Config["llm"], "apiKey" | "baseUrl" | "model">, options: AnthropicModelOptions = {}) {
    if (!llm.apiKey) throw new ConfigError("ANTHROPIC_API_KEY is required to call the Anthropic API", { variables: ["ANTHROPIC_API_KEY"] });
    this.model = llm.model;
    this.#maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.#client = new Anthropic({
      apiKey: llm.apiKey,
      ...(llm.baseUrl ? { baseURL: llm.baseUrl } : {}),
      maxRetries: this.#maxRetries,
      ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
    });
  }

  async turn(request: ModelRequest): Promise<ModelTurn> {
    const params = buildParams(this.model, request);
    try {
      const stream = this.#client.messages.stream(params, request.signal ? { signal: request.signal } : undefined);
      const onText = request.onText;
      if (onText) {
        stream.on("text", (delta) => {
          try {
            onText(delta);
          } catch {
            // Progress display must not fail a turn that is already paid for.
          }
        });
      }
      const final = await stream.finalMessage();
      // Content is read block by block: copying it through a schema would evaluate the SDK's lazy
      // tool-input getters all at once and lose which block was malformed.
      const message = finalMessageSchema.parse({ model: final.model, stop_reason: final.stop_reason, usage: final.usage });
      return {
        content: toContent(final.content),
        stopReason: message.stop_reason,
        model: message.model,
        usage: {
          inputTokens: message.usage.input_tokens,
          outputTokens: message.usage.output_tokens,
          cacheWriteTokens: message.usage.cache_creation_input_tokens ?? 0,
          cacheReadTokens: message.usage.cache_read_input_tokens ?? 0,
        },
      };
    } catch (error) {
      throw toAppError(error, this.#maxRetries);
    }
  }
}

export function createAnthropicModel(config: Pick<Config, "llm">, options?: AnthropicModelOptions): AnthropicModelClient {
  return new AnthropicModelClient(config.llm, options);
}
