import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { DomainContext } from "../../domain/context.js";
import { newWorkspaceContext } from "../../test/context.js";
import type { TestDatabase } from "../../test/db.js";
import { connectInMemory } from "../host/in-memory.js";
import { callOk, testToolContext } from "../host/testing.js";
import { postgresServer } from "./server.js";

/** A real MCP client on the postgres server, in-memory, acting for a new (or the given) workspace. */
export async function connectPostgresTools(database: TestDatabase, existing?: DomainContext) {
  const ctx = existing ?? (await newWorkspaceContext(database.db));
  return { ctx, ...(await connectInMemory(postgresServer, testToolContext(database.handle, ctx))) };
}

/** Create an event through `create_event` and return its id. */
export async function createEventThroughTools(client: Client, args: Record<string, unknown>, idempotencyKey: string): Promise<string> {
  const { event } = await callOk<{ event: { id: string } }>(client, "create_event", { ...args, idempotency_key: idempotencyKey });
  return event.id;
}
