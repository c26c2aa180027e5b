import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import type { JsonSchemaType, JsonSchemaValidator, jsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/types.js";

/** More distinct schemas than all six servers list together; past it the cache (and its Ajv) starts over. */
const MAX_SCHEMAS = 1000;

/**
 * The MCP SDK client compiles an Ajv validator for every tool's output schema on each `listTools`.
 * Every agent run opens fresh connections to six servers, so without a shared cache each run spent
 * most of its CPU compiling the same ~60 schemas again (bench/RESULTS.md, queue throughput). Schemas
 * are keyed by their JSON text, so an identical schema compiles once per process.
 */
export class CachingSchemaValidator implements jsonSchemaValidator {
  private validators = new Map<string, JsonSchemaValidator<unknown>>();
  private inner: jsonSchemaValidator;

  constructor(private readonly create: () => jsonSchemaValidator = () => new AjvJsonSchemaValidator()) {
    this.inner = create();
  }

  getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
    const key = JSON.stringify(schema);
    let validator = this.validators.get(key);
    if (!validator) {
      if (this.validators.size >= MAX_SCHEMAS) {
        // A fresh Ajv too: Ajv keeps every schema it compiled.
        this.validators = new Map();
        this.inner = this.create();
      }
      validator = this.inner.getValidator<unknown>(schema);
      this.validators.set(key, validator);
    }
    return validator as JsonSchemaValidator<T>;
  }

  get size(): number {
    return this.validators.size;
  }
}

/** One per process, shared by every MCP client the agent opens. */
export const sharedSchemaValidator = new CachingSchemaValidator();
