/**
 * The web UI end to end, as a person uses it: `event-planner serve` on fresh embedded PGlite with the
 * offline model, driven in Debian's Chromium through playwright-core. A bad key is refused in plain
 * words; signed in, a planning request runs live in the run panel (which reconnects after its stream
 * drops) to the SMS invitations approval and then the deposit, approved with a smaller amount; the
 * event page shows the venue and the budget chart, and the outbox the SMS that went out. Any console
 * error fails the test. Screenshots of each page go to test-artifacts/web/ (not committed) and the
 * event page, once, to docs/screenshots/event-page.png for the README.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Koa from "koa";
import type { AddressInfo } from "node:net";
import { chromium, type Browser, type ConsoleMessage, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiContextExtras, ApiState } from "../state.js";
import { NOT_BUILT_MESSAGE, webUi } from "./static.js";
import { freePort } from "../../test/processes.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = path.join(ROOT, "bin/event-planner.js");
const ARTIFACTS = path.join(ROOT, "test-artifacts/web");
const README_SHOT = path.join(ROOT, "docs/screenshots/event-page.png");
const CHROMIUM = "/usr/bin/chromium";
const REQUEST = "Plan a 2-day offsite for 40 people in Lisbon in March 2027, budget EUR 30000, invite Ana Silva +351912345678 and Ben Jones +447700900123 by SMS";

const dataDir = mkdtempSync(path.join(tmpdir(), "ept-web-"));
let server: ChildProcess | undefined;
let browser: Browser | undefined;
let base = "";
let apiKey = "";

beforeAll(async () => {
  // CI runs only `npm ci && npm test`: the test builds the UI itself when dist/web is missing or stale.
  execFileSync(process.execPath, [path.join(ROOT, "scripts/build-web.js"), "--if-stale"], { cwd: ROOT, stdio: "pipe" });
  mkdirSync(ARTIFACTS, { recursive: true });

  const port = await freePort();
  const child = spawn(process.execPath, [BIN, "serve"], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      EVENT_PLANNER_DATA_DIR: dataDir,
      PORT: String(port),
      LOG_LEVEL: "warn",
      // Our own run queue in the shared Redis: another test's worker must never pick up these runs.
      QUEUE_PREFIX: `web-e2e-${process.pid}`,
      // No quiet hours: the invitations go out whatever the time of day the test runs at.
      TWILIO_QUIET_HOURS: "00:00-00:00",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server = child;
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const started = new Promise<void>((resolve, reject) => {
    const check = () => {
      if (/running on http:\/\/localhost:\d+/.test(output)) resolve();
      else if (child.exitCode !== null) reject(new Error(`serve exited with ${child.exitCode}:\n${output}`));
      else setTimeout(check, 200);
    };
    check();
  });
  await started;
  apiKey = /epk_[A-Za-z0-9_-]+/.exec(output)?.[0] ?? "";
  if (apiKey === "") throw new Error(`serve printed no API key:\n${output}`);
  base = `http://127.0.0.1:${port}`;

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server?.once("exit", resolve));
    server.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    server.kill("SIGKILL");
  }
  rmSync(dataDir, { recursive: true, force: true });
});

/** Console errors and uncaught exceptions; `allow` names the one expected network error at a time. */
function watchConsole(page: Page) {
  const errors: string[] = [];
  let allow: RegExp | undefined;
  page.on("console", (message: ConsoleMessage) => {
    if (message.type() !== "error") return;
    if (allow?.test(message.text())) return;
    errors.push(`${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => errors.push(`uncaught: ${error.message}`));
  return {
    errors,
    allowing: async <T>(pattern: RegExp, action: () => Promise<T>): Promise<T> => {
      allow = pattern;
      try {
        return await action();
      } finally {
        allow = undefined;
      }
    },
  };
}

/**
 * Browser-side checks run as script text: they execute in the page, and this file is compiled
 * for Node, without the DOM's types.
 */
const UNLABELLED_CONTROLS = `[
  ...[...document.querySelectorAll("input, textarea, select")].filter((c) => c.labels.length === 0 && !c.getAttribute("aria-label")),
  ...[...document.querySelectorAll("button")].filter((b) => b.textContent.trim() === "" && !b.getAttribute("aria-label")),
].map((element) => element.outerHTML)`;
const SESSION_VALUES = "Object.values({ ...sessionStorage })";
const PAGE_WIDTH = "document.documentElement.scrollWidth";

/** Every form control has a label, and every button a name: the UI is usable by keyboard and screen reader. */
async function expectLabelledControls(page: Page): Promise<void> {
  expect(await page.evaluate<string[]>(UNLABELLED_CONTROLS)).toEqual([]);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

describe("the web UI", () => {
  it("signs in, plans an event live, takes both approvals, and shows the event and the outbox", async () => {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const browserConsole = watchConsole(page);

    // Every stream request, to check the key travels as a header and a reconnect resumes after the last step.
    const streams: { url: string; lastEventId: string | undefined; authorization: string | undefined }[] = [];
    let dropNextStream = false;
    await page.route("**/v1/runs/*/stream", async (route) => {
      const headers = route.request().headers();
      streams.push({ url: route.request().url(), lastEventId: headers["last-event-id"], authorization: headers.authorization });
      if (dropNextStream) {
        dropNextStream = false;
        // A connection that ends at once, as a restarting server or a proxy timeout would end it.
        await route.fulfill({ status: 200, headers: { "content-type": "text/event-stream" }, body: ": dropped\n\n" });
        return;
      }
      await route.fallback();
    });

    // A bad key is refused in plain words, and nothing is kept.
    await page.goto(base);
    await expect.poll(() => page.getByLabel("API key").isVisible()).toBe(true);
    await browserConsole.allowing(/status of 401/, async () => {
      await page.getByLabel("API key").fill("epk_not_a_real_key");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("alert").waitFor();
    });
    expect(await page.getByRole("alert").textContent()).toMatch(/That API key was not accepted/);
    expect(await page.evaluate<string[]>(SESSION_VALUES)).toEqual([]);
    await expectLabelledControls(page);
    await shot(page, "1-sign-in-refused");

    // Signed in by keyboard; the key is in session storage and never in the address.
    await page.getByLabel("API key").fill(apiKey);
    await page.getByLabel("API key").press("Enter");
    await page.getByRole("heading", { name: "Plan an event" }).waitFor();
    expect(page.url()).not.toContain(apiKey);
    expect(await page.evaluate<string[]>(SESSION_VALUES)).toEqual([apiKey]);
    await expectLabelledControls(page);

    // The request goes out with Ctrl+Enter; the run panel follows it to the first approval.
    const composer = page.getByLabel("What are you planning?");
    await composer.fill(REQUEST);
    await composer.press("Control+Enter");
    await page.waitForURL(/\/conversations\/[0-9a-f-]{36}$/);
    const conversationPath = new URL(page.url()).pathname;
    const panel = page.locator(".run-panel");
    await page.locator('.run-panel[data-status="awaiting_approval"]').waitFor({ timeout: 30_000 });
    await panel.getByText("Postgres: create event").first().waitFor();
    expect(await panel.locator("details[open]").count()).toBe(0);
    const invitations = page.locator('.approval-card[data-action="twilio__send_invitations"]');
    await invitations.waitFor();
    expect(await invitations.textContent()).toMatch(/Ana Silva \(\+351912345678\)[\s\S]*Ben Jones \(\+447700900123\)/);
    expect(await invitations.locator("blockquote").textContent()).toMatch(/You're invited to Lisbon offsite/);
    await expectLabelledControls(page);

    // The stream drops: the panel reconnects and asks only for the steps after the last one it has.
    dropNextStream = true;
    const before = streams.length;
    await page.getByRole("link", { name: "Approvals" }).click();
    await page.locator('.approval-card[data-action="twilio__send_invitations"]').waitFor();
    await shot(page, "2-approvals");
    await page.goBack();
    await expect.poll(() => streams.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(before + 2);
    const [dropped, resumed] = streams.slice(before);
    expect(dropped!.lastEventId).toMatch(/^\d+$/);
    expect(resumed!.lastEventId).toBe(dropped!.lastEventId);
    expect(streams.every((stream) => stream.authorization === `Bearer ${apiKey}` && !stream.url.includes(apiKey))).toBe(true);
    await panel.locator(".connection-live").waitFor();
    await shot(page, "3-chat-awaiting-approval");

    // Approve the invitations; the run carries on over the resumed stream to the deposit.
    await invitations.getByLabel("Note (optional)").fill("Team list checked");
    await invitations.getByRole("button", { name: "Approve" }).click();
    const deposit = page.locator('.approval-card[data-action="stripe__pay_vendor_deposit"]');
    await deposit.waitFor({ timeout: 30_000 });
    await panel.getByText("Approval approved").first().waitFor();
    expect(await deposit.locator(".amount").textContent()).toMatch(/^€[\d,]+\.\d\d EUR$/);
    await shot(page, "4-deposit-approval");

    // A smaller deposit than proposed: the edited amount is what gets paid.
    await deposit.getByLabel("Amount to approve (EUR)").fill("1500.00");
    await deposit.getByRole("button", { name: "Approve" }).click();
    await page.locator('.run-panel[data-status="succeeded"]').waitFor({ timeout: 30_000 });
    await panel.getByText("Approval approved with edited arguments").waitFor();
    const answer = page.locator(".message.assistant .markdown").last();
    await answer.waitFor();
    expect(await answer.locator("table").count()).toBeGreaterThan(0);
    await shot(page, "5-chat-succeeded");

    // The event page: venue, dates in the event's zone, the budget chart, timeline and guests.
    await panel.getByRole("link", { name: "Open the event page" }).click();
    await page.getByRole("heading", { level: 1, name: /Lisbon offsite/ }).waitFor();
    expect(await page.locator(".venue-name").textContent()).not.toBe("");
    expect(await page.locator(".when").textContent()).toMatch(/2 Mar 2027.*09:00.*3 Mar 2027.*18:00.*Europe\/Lisbon/);
    const chart = page.getByTestId("budget-chart");
    expect(await chart.locator(".budget-row").count()).toBeGreaterThanOrEqual(3);
    expect(await chart.locator("svg[role=img]").first().getAttribute("aria-label")).toMatch(/committed of €[\d,]+\.\d\d budgeted/);
    expect(await page.locator(".task-timeline li").count()).toBeGreaterThan(3);
    const rsvpCounts = (await page.locator(".rsvp-counts .rsvp-count").allTextContents()).map(Number);
    expect(rsvpCounts.reduce((sum, n) => sum + n, 0)).toBe(2);
    expect(await page.locator(".guest-table").textContent()).toMatch(/Ana Silva[\s\S]*Ben Jones/);
    await page.locator(".documents summary").first().waitFor();
    await expectLabelledControls(page);
    await shot(page, "6-event");
    mkdirSync(path.dirname(README_SHOT), { recursive: true });
    if (!existsSync(README_SHOT)) await page.screenshot({ path: README_SHOT, fullPage: true });

    // Readable on a phone: nothing wider than the screen.
    await page.setViewportSize({ width: 375, height: 800 });
    expect(await page.evaluate<number>(PAGE_WIDTH)).toBeLessThanOrEqual(375);
    await shot(page, "7-event-phone");
    await page.setViewportSize({ width: 1280, height: 900 });

    // The sandbox outbox: the two SMS invitations, and the deposit at the approved amount.
    await page.getByRole("link", { name: "Outbox" }).click();
    await page.getByRole("button", { name: "SMS", exact: true }).click();
    const sms = page.locator(".outbox-item[data-kind=sms]");
    await expect.poll(() => sms.count()).toBe(2);
    const texts = await sms.allTextContents();
    expect(texts.join("\n")).toMatch(/SMS to \+351912345678[\s\S]*Hi Ana Silva! You're invited/);
    expect(texts.join("\n")).toMatch(/SMS to \+447700900123[\s\S]*Hi Ben Jones! You're invited/);
    await shot(page, "8-outbox-sms");
    await page.getByRole("button", { name: "Payments" }).click();
    await expect.poll(() => page.locator(".outbox-item[data-kind=payment]").textContent()).toMatch(/Payment of €1,500\.00/);

    // Reloaded at phone width, each page keeps the session and fits the screen.
    await page.setViewportSize({ width: 375, height: 800 });
    for (const [pagePath, ready] of [[conversationPath, ".run-panel[data-status=succeeded]"], ["/outbox", ".outbox-item"], ["/approvals", "text=Nothing is waiting"], ["/events", ".event-list"]] as const) {
      await page.goto(`${base}${pagePath}`);
      await page.locator(ready).first().waitFor();
      expect([pagePath, await page.evaluate<number>(PAGE_WIDTH)]).toEqual([pagePath, 375]);
    }
    await shot(page, "9-events-phone");

    expect(browserConsole.errors).toEqual([]);
    await context.close();
  }, 60_000);

  it("serves the built files with their content types and cache headers, the app for its own paths, and JSON 404s for the API", async () => {
    const get = (urlPath: string, accept = "*/*") => fetch(`${base}${urlPath}`, { headers: { accept } });
    const html = "text/html,application/xhtml+xml,*/*;q=0.8";

    const index = await get("/", html);
    expect([index.status, index.headers.get("content-type"), index.headers.get("cache-control")]).toEqual([200, "text/html; charset=utf-8", "no-cache"]);
    const page = await index.text();
    expect(page).toContain('<div id="app">');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(page)?.[1];
    expect(script).toBeDefined();

    const bundle = await get(script!);
    expect([bundle.status, bundle.headers.get("content-type"), bundle.headers.get("cache-control")]).toEqual([200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"]);
    expect((await get("/favicon.svg")).headers.get("content-type")).toBe("image/svg+xml");

    // The UI's own paths work when reloaded or shared, whatever the client asks for.
    for (const uiPath of ["/events/0190f5a4-0000-7000-8000-000000000001", "/conversations", "/outbox"]) {
      const response = await get(uiPath);
      expect([uiPath, response.status, response.headers.get("content-type")]).toEqual([uiPath, 200, "text/html; charset=utf-8"]);
    }
    // A missing file is a 404, never the page; so is any API path; another path is the app only for a browser.
    for (const [missing, accept] of [["/assets/index-missing.js", html], ["/v1/nothing", html], ["/v2/nothing", "*/*"], ["/..%2f..%2fpackage.json", html]] as const) {
      const response = await get(missing, accept);
      expect([missing, response.status, response.headers.get("content-type")]).toEqual([missing, 404, "application/json; charset=utf-8"]);
    }
    expect((await get("/v2/nothing", html)).headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect((await fetch(`${base}/`, { method: "POST" })).status).toBe(404);
  });

  it("says in plain text how to build the UI when it has not been built", async () => {
    const empty = mkdtempSync(path.join(tmpdir(), "ept-web-empty-"));
    const app = new Koa<ApiState, ApiContextExtras>();
    app.use(webUi(empty));
    const listener = app.listen(0, "127.0.0.1");
    try {
      await new Promise((resolve) => listener.once("listening", resolve));
      const response = await fetch(`http://127.0.0.1:${(listener.address() as AddressInfo).port}/`);
      expect([response.status, response.headers.get("content-type"), await response.text()]).toEqual([503, "text/plain; charset=utf-8", NOT_BUILT_MESSAGE]);
    } finally {
      listener.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
