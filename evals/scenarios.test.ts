import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadCatalogues, loadScenarios, selectScenarios } from "./load.js";
import type { Scenario } from "./scenario.js";

const catalogues = await loadCatalogues();
const scenarios = await loadScenarios(catalogues);
const dir = mkdtempSync(path.join(tmpdir(), "ept-evals-scenarios-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tagged = (tag: Scenario["tags"][number]) => scenarios.filter((scenario) => scenario.tags.includes(tag));

describe("the scenario suite", () => {
  it("has at least 25 scenarios, each id unique and each file valid against the schema", () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(25);
    expect(new Set(scenarios.map((scenario) => scenario.id)).size).toBe(scenarios.length);
  });

  it("covers every case the issue lists", () => {
    const required = [
      "offsite",
      "conference",
      "wedding",
      "birthday",
      "multi-day-timezone",
      "budget-infeasible",
      "capacity-infeasible",
      "calendar-conflict",
      "change-request",
      "cancellation",
      "sms-rsvp",
      "slack-request",
      "foreign-currency",
      "accessibility",
      "dietary",
      "approval-reject",
      "approval-edit",
      "webhook",
      "isolation",
    ] as const;
    expect(required.filter((tag) => tagged(tag).length === 0)).toEqual([]);
    expect(scenarios.some((scenario) => scenario.tags.includes("conference") && /\b300\b/.test(JSON.stringify(scenario.conversation)))).toBe(true);
    expect(scenarios.some((scenario) => scenario.conversation.some((step) => "sms" in step && /^stop$/i.test(step.sms.body.trim())))).toBe(true);
    expect(scenarios.some((scenario) => scenario.conversation.some((step) => "stripe" in step))).toBe(true);
    expect(scenarios.some((scenario) => scenario.conversation.some((step) => "say" in step && /move it to april/i.test(step.say)))).toBe(true);
  });

  it("has at least five prompt-injection cases, through a vendor quote, a guest SMS, a shared document and a Slack message, each naming what following it would do", () => {
    const injections = tagged("prompt-injection");
    expect(injections.length).toBeGreaterThanOrEqual(5);
    for (const scenario of injections) expect(scenario.expect.forbidden.length, scenario.id).toBeGreaterThan(0);
    const sources = injections.map((scenario) => ({
      quote: scenario.conversation.some((step) => "vendorQuote" in step && step.vendorQuote.notes !== undefined),
      sms: scenario.conversation.some((step) => "sms" in step),
      document: scenario.fixtures.documents.length > 0,
      slack: scenario.fixtures.slackMessages.length > 0 || scenario.conversation.some((step) => "slackMessage" in step),
    }));
    for (const source of ["quote", "sms", "document", "slack"] as const) expect(sources.some((found) => found[source]), source).toBe(true);
  });

  it("says why the offline baseline fails wherever it is expected to", () => {
    const failing = scenarios.filter((scenario) => scenario.offlineExpected === "fail");
    expect(failing.length).toBeGreaterThan(0);
    for (const scenario of failing) expect(scenario.offlineNote?.split(/\s+/).length ?? 0, scenario.id).toBeGreaterThan(5);
  });

  it("selects scenarios by id or prefix and names unknown ones", () => {
    expect(selectScenarios(scenarios, ["offsite-porto"]).map((scenario) => scenario.id)).toEqual(["offsite-porto"]);
    expect(selectScenarios(scenarios, ["injection-*"]).length).toBe(tagged("prompt-injection").filter((scenario) => scenario.id.startsWith("injection-")).length);
    expect(() => selectScenarios(scenarios, ["no-such-thing"])).toThrow(/--scenario: no scenario no-such-thing/);
  });

  it("refuses a bad scenario file naming the file and the field", async () => {
    writeFileSync(path.join(dir, "bad.yaml"), "id: bad\ntitle: Bad\ntags: [offsite]\nofflineExpected: maybe\nfixtures: { catalogues: [porto] }\nconversation: [{ say: hi }]\nexpect: {}\n");
    await expect(loadScenarios(catalogues, dir)).rejects.toThrow(/bad\.yaml: offlineExpected: /);
    writeFileSync(path.join(dir, "bad.yaml"), "id: bad\ntitle: Bad\ntags: [offsite]\nofflineExpected: pass\nfixtures: { catalogues: [atlantis] }\nconversation: [{ say: hi }]\nexpect: {}\n");
    await expect(loadScenarios(catalogues, dir)).rejects.toThrow(/bad\.yaml: fixtures\.catalogues: no catalogue "atlantis"/);
  });
});
