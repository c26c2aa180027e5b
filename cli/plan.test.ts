/**
 * The done-when, as a user runs it: `event-planner plan` on a fresh data directory, with no
 * API key and no DATABASE_URL, plans the Lisbon offsite for real; deciding the approval from the
 * command line finishes it.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { cli } from "../test/cli.js";

const planJson = z.object({
  run: z.object({ id: z.string(), status: z.string() }),
  events: z.array(
    z.looseObject({
      title: z.string(),
      headcount: z.number(),
      venueBookings: z.array(z.looseObject({ status: z.string(), venue: z.looseObject({ name: z.string(), capacity: z.number() }) })),
      budgetLines: z.array(z.looseObject({ category: z.string(), plannedMinor: z.number() })),
      tasks: z.array(z.looseObject({ title: z.string() })),
      budgetMinor: z.number(),
    }),
  ),
  pendingApprovals: z.array(z.looseObject({ id: z.string(), action: z.string(), amountMinor: z.number().nullable(), currency: z.string().nullable() })),
});
const outboxJson = z.array(z.looseObject({ service: z.string(), kind: z.string() }));

let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), "ept-plan-"));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("event-planner plan (offline model, embedded PGlite)", () => {
  it("plans the Lisbon offsite with a held venue, budget, timeline, calendar entry, document and a pending deposit; deciding it finishes the run", async () => {
    const env = { EVENT_PLANNER_DATA_DIR: dataDir };
    const planned = await cli(["plan", "Plan a 2-day offsite for 40 people in Lisbon in March 2027, budget EUR 30000", "--json"], env);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stderr).toMatch(/offline planner/);
    const plan = planJson.parse(JSON.parse(planned.stdout));
    expect(plan.run.status).toBe("awaiting_approval");
    const [event] = plan.events;
    expect(event).toMatchObject({ headcount: 40, budgetMinor: 3_000_000 });
    expect(event!.venueBookings).toEqual([expect.objectContaining({ status: "hold" })]);
    expect(event!.venueBookings[0]!.venue.capacity).toBeGreaterThanOrEqual(40);
    expect(event!.budgetLines.length).toBeGreaterThan(0);
    expect(event!.budgetLines.reduce((sum, line) => sum + line.plannedMinor, 0)).toBeLessThanOrEqual(3_000_000);
    expect(event!.tasks.length).toBeGreaterThan(0);
    expect(plan.pendingApprovals).toEqual([expect.objectContaining({ action: "stripe__pay_vendor_deposit", currency: "EUR" })]);
    expect(planned.stderr).toMatch(/approvals decide <approval id> approve\|reject/);

    const outbox = outboxJson.parse(JSON.parse((await cli(["sandbox", "outbox", "--json"], env)).stdout));
    const kinds = outbox.map((object) => `${object.service}/${object.kind}`);
    expect(kinds).toEqual(expect.arrayContaining(["calendar/event", "gdrive/document", "slack/message"]));
    expect(kinds).not.toContain("stripe/payment");

    const decided = await cli(["approvals", "decide", plan.pendingApprovals[0]!.id, "approve"], env);
    expect(decided.code, decided.stderr).toBe(0);
    expect(decided.stdout).toMatch(/Run .*: succeeded/);
    expect(decided.stdout).toMatch(/Budget:/);
    const after = outboxJson.parse(JSON.parse((await cli(["sandbox", "outbox", "--kind", "payment", "--json"], env)).stdout));
    expect(after.map((object) => object.kind)).toEqual(["payment"]);
  }, 120_000);

  it("refuses a decision that is neither approve nor reject as a usage error", async () => {
    const result = await cli(["approvals", "decide", "01a20eef-bef1-7112-ba60-98d928a9a258", "maybe"], { EVENT_PLANNER_DATA_DIR: dataDir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/approve, reject/);
  });
});

describe("event-planner plan in a terminal", () => {
  it("asks y/n for the deposit and, answered yes, finishes the run", async () => {
    const ttyDir = mkdtempSync(path.join(tmpdir(), "ept-plan-tty-"));
    const bin = fileURLToPath(new URL("../bin/event-planner.js", import.meta.url));
    try {
      // util-linux `script` gives the CLI a real pseudo-terminal, so it takes the interactive path.
      const child = spawn("script", ["-qec", `"${process.execPath}" "${bin}" plan "Plan a 2-day offsite for 40 people in Lisbon in March 2027, budget EUR 30000"`, "/dev/null"], {
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", EVENT_PLANNER_DATA_DIR: ttyDir, LOG_LEVEL: "error" },
        stdio: ["pipe", "pipe", "pipe"],
      });
      let output = "";
      let answered = false;
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (!answered && output.includes("[y/n]")) {
          answered = true;
          child.stdin.write("y\n");
        }
      });
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      expect(code, output).toBe(0);
      expect(output).toMatch(/Approve\? Pay .* deposit of €[\d,.]+ EUR/);
      expect(output).toMatch(/approval approved/);
      expect(output).toMatch(/Run .*: succeeded/);
    } finally {
      rmSync(ttyDir, { recursive: true, force: true });
    }
  }, 120_000);
});
