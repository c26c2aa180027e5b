/**
 * Reads a planning request written in plain English into typed facts, by rules: the offline model's
 * only understanding of the user. Anything it cannot read is left null and listed in `missing`, so
 * the planner asks or states an assumption instead of guessing silently.
 */
import { DateTime } from "luxon";
import { z } from "zod";
import type { DietaryOption } from "../../../domain/vendors.js";
import type { EventKind } from "../../../drizzle/schema/index.js";
import { currencyCode, E164_PATTERN, minorUnits } from "../../../lib/formats.js";
import { minorUnitDigits } from "../../../lib/money.js";

export const OFFLINE_EVENT_KINDS = ["offsite", "conference", "wedding", "birthday", "party", "meeting", "workshop", "other"] as const satisfies readonly EventKind[];
export type OfflineEventKind = (typeof OFFLINE_EVENT_KINDS)[number];

/** The vendor catalogue's spelling, so a need can be passed to search_vendors unchanged. */
export const OFFLINE_DIETARY = ["vegetarian", "vegan", "gluten_free", "halal", "kosher", "nut_free", "dairy_free"] as const satisfies readonly DietaryOption[];

export const REQUEST_FIELDS = ["city", "headcount", "dates", "budget"] as const;
export type RequestField = (typeof REQUEST_FIELDS)[number];

/** The largest headcount search_venues and create_event accept. */
const MAX_HEADCOUNT = 100_000;
const MAX_DAYS = 14;

const isoDate = z.iso.date();

export const planningRequestSchema = z.object({
  kind: z.enum(OFFLINE_EVENT_KINDS).describe("other when no event type was recognised"),
  headcount: z.number().int().min(1).max(MAX_HEADCOUNT).nullable(),
  city: z.string().min(1).nullable(),
  startDate: isoDate.nullable(),
  endDate: isoDate.nullable(),
  /** How many days the event lasts: as stated, as a date range implies, else 1. */
  days: z.number().int().min(1).max(MAX_DAYS),
  /** explicit: a day was named; month: only a month, so the day is our choice. */
  dateBasis: z.enum(["explicit", "month"]).nullable(),
  budget: z
    .object({
      amountMinor: minorUnits,
      currency: currencyCode,
      /** A bare "$": USD unless the venues turn out to charge in another dollar. */
      ambiguousDollar: z.boolean(),
    })
    .nullable(),
  dietary: z.array(z.enum(OFFLINE_DIETARY)),
  /** Venue accessibility features, as the venue catalogue names them (step_free_access, hearing_loop …). */
  accessibility: z.array(z.string()),
  guests: z.array(z.object({ name: z.string().min(1).max(100), phone: z.string().regex(E164_PATTERN) })),
  missing: z.array(z.enum(REQUEST_FIELDS)),
});
export type PlanningRequest = z.infer<typeof planningRequestSchema>;

// ---------------------------------------------------------------------------------------------
// Words and numbers

const NUMBER_WORDS: Record<string, number> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
  fifteen: 15, twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90, hundred: 100,
  "a dozen": 12, "two dozen": 24, "a hundred": 100,
};
const NUMBER_WORD = Object.keys(NUMBER_WORDS).sort((a, b) => b.length - a.length).join("|");

function wordOrNumber(value: string): number | undefined {
  const word = NUMBER_WORDS[value.toLowerCase()];
  if (word !== undefined) return word;
  const digits = value.replace(/[,.\s']/g, "");
  return /^\d+$/.test(digits) ? Number(digits) : undefined;
}

const MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];
const MONTH = "(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";

function monthNumber(name: string): number {
  const prefix = name.toLowerCase().slice(0, 3);
  return MONTHS.findIndex((month) => month.startsWith(prefix)) + 1;
}

// ---------------------------------------------------------------------------------------------
// Event type, headcount, city

const KIND_RULES: [OfflineEventKind, RegExp][] = [
  // Order matters: "birthday party" is a birthday, "conference dinner" a conference.
  ["wedding", /\b(wedding|marriage|elopement)\b/i],
  ["birthday", /\bbirthday\b/i],
  ["conference", /\b(conference|summit|convention|congress|symposium|expo)\b/i],
  ["offsite", /\b(off-?site|retreat|team[- ]building|team away[- ]day|away[- ]day)\b/i],
  ["workshop", /\b(workshop|hackathon|training)\b/i],
  ["meeting", /\b(meeting|board meeting|kick-?off|all-hands)\b/i],
  ["party", /\b(party|celebration|gala|launch|dinner|drinks|reception)\b/i],
];

function parseKind(text: string): OfflineEventKind {
  return KIND_RULES.find(([, pattern]) => pattern.test(text))?.[0] ?? "other";
}

/**
 * A count as people write it: "40", "1,200", "1.200". Groups must be three digits and the number
 * must not start inside another, so "12 June 2027, 120 guests" is 120 guests, not 2,027,120.
 */
const COUNT = "(?<![\\d.,])(\\d{1,3}(?:[,.']\\d{3})+|\\d+)";

const PEOPLE = "(?:people|persons?|guests|attendees|participants|pax|delegates|heads|employees|colleagues|engineers|staff|members|visitors|friends)";

function parseHeadcount(text: string): number | null {
  const patterns = [
    new RegExp(`${COUNT}\\s*(?:-\\s*)?${PEOPLE}\\b`, "i"),
    new RegExp(`\\b(${NUMBER_WORD})\\s+${PEOPLE}\\b`, "i"),
    new RegExp(`${COUNT}-person\\b`, "i"),
    new RegExp(`\\bheadcount\\s*(?:of|:|is|=)?\\s*${COUNT}`, "i"),
    new RegExp(`\\b(?:team|group|party) of ${COUNT}`, "i"),
    new RegExp(`\\b(?:team|group|party) of (${NUMBER_WORD})\\b`, "i"),
    new RegExp(`${COUNT} of us\\b`, "i"),
  ];
  for (const pattern of patterns) {
    const match = pattern.exec(text);
    const value = match?.[1] === undefined ? undefined : wordOrNumber(match[1].trim());
    if (value !== undefined && value >= 1 && value <= MAX_HEADCOUNT) return value;
  }
  return null;
}

/** Cities people write in other ways than the catalogue spells them; any other city is read from "in <City>". */
const CITY_ALIASES: [string, RegExp][] = [
  ["New York", /\b(new york(?: city)?|nyc|manhattan|brooklyn)\b/i],
  ["San Francisco", /\b(san francisco|sf bay area)\b|\bSF\b/i],
  ["Mexico City", /\b(mexico city|ciudad de m[eé]xico|cdmx)\b/i],
  ["Lisbon", /\b(lisbon|lisboa)\b/i],
  ["Barcelona", /\bbarcelona\b/i],
  ["Berlin", /\bberlin\b/i],
  ["London", /\blondon\b/i],
  ["Toronto", /\btoronto\b/i],
  ["Tokyo", /\b(tokyo|t[oō]ky[oō])\b/i],
  ["Singapore", /\bsingapore\b/i],
];

const NOT_A_CITY = new Set([
  ...MONTHS,
  "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
  "spring", "summer", "autumn", "fall", "winter", "the", "a", "an", "our", "my", "total",
]);

function parseCity(text: string): string | null {
  for (const [city, pattern] of CITY_ALIASES) if (pattern.test(text)) return city;
  const word = "[\\p{Lu}][\\p{Ll}'’.-]+";
  const inCity = new RegExp(`\\b(?:in|at)\\s+(${word}(?:\\s+${word}){0,2})`, "gu");
  for (const match of text.matchAll(inCity)) {
    const candidate = match[1]?.replace(/[.,;:!?]+$/u, "");
    if (candidate && !NOT_A_CITY.has(candidate.split(/\s+/)[0]?.toLowerCase() ?? "")) return candidate;
  }
  // A short reply such as "Lisbon" or "Porto, please" to our question about the city.
  const bare = /^\s*([\p{Lu}][\p{Ll}'’.-]+(?:\s+[\p{Lu}][\p{Ll}'’.-]+){0,2})(?:,?\s*please)?[.!]?\s*$/u.exec(text);
  if (bare?.[1] && !NOT_A_CITY.has(bare[1].split(/\s+/)[0]?.toLowerCase() ?? "")) return bare[1];
  return null;
}

// ---------------------------------------------------------------------------------------------
// Dates

/** What one message says about dates, before the conversation's kind and length are known. */
interface DateMention {
  basis: "explicit" | "month";
  /** explicit: the first day named; month: the month's first day. */
  start: DateTime;
  /** Days a range such as "10-12 March" spans. */
  rangeDays?: number;
}

const SOCIAL_KINDS: readonly OfflineEventKind[] = ["wedding", "birthday", "party"];

/**
 * The weekday a month-only request starts on: parties and weddings on a Saturday, a multi-day
 * social event on the Friday before, anything for work on a Tuesday (a weekday, clear of Monday travel).
 */
export function startWeekday(kind: OfflineEventKind, days: number): number {
  if (SOCIAL_KINDS.includes(kind)) return days > 1 ? 5 : 6;
  return 2;
}

/** The first `weekday` (1 = Monday) of a month, or of what is left of it after `after`. */
export function firstWeekdayOfMonth(year: number, month: number, weekday: number, after?: DateTime): DateTime {
  let day: DateTime = DateTime.utc(year, month, 1);
  if (after && day <= after) {
    const next = after.plus({ days: 1 }).startOf("day");
    if (next.month === month && next.year === year) day = next;
  }
  while (day.weekday !== weekday) day = day.plus({ days: 1 });
  return day;
}

/** A month with no year means the next one after today: "in March" said in March is next year's. */
function resolveYear(month: number, day: number | undefined, year: string | undefined, today: DateTime): number {
  if (year !== undefined) return Number(year);
  if (day === undefined) return month > today.month ? today.year : today.year + 1;
  const candidate = DateTime.utc(today.year, month, day);
  return candidate.isValid && candidate < today ? today.year + 1 : today.year;
}

function parseDuration(text: string): number | null {
  const match =
    new RegExp(`\\b(\\d{1,2}|${NUMBER_WORD})[-\\s]days?\\b`, "i").exec(text) ??
    new RegExp(`\\b(?:for|over|lasting)\\s+(\\d{1,2}|${NUMBER_WORD})\\s+days\\b`, "i").exec(text);
  if (match?.[1] !== undefined) {
    const days = wordOrNumber(match[1]);
    if (days !== undefined && days >= 1 && days <= MAX_DAYS) return days;
  }
  if (/\b(week-?long|whole week)\b/i.test(text)) return 5;
  if (/\b(weekend|overnight)\b/i.test(text)) return 2;
  if (/\b(one-?day|full-?day|day-?long)\b/i.test(text)) return 1;
  return null;
}

function range(start: DateTime, end: DateTime): DateMention | undefined {
  if (!start.isValid || !end.isValid || end < start) return start.isValid ? { basis: "explicit", start } : undefined;
  const days = Math.round(end.diff(start, "days").days) + 1;
  return days <= MAX_DAYS ? { basis: "explicit", start, rangeDays: days } : { basis: "explicit", start };
}

function single(start: DateTime): DateMention | undefined {
  return start.isValid ? { basis: "explicit", start } : undefined;
}

function explicitDates(text: string, today: DateTime): DateMention | undefined {
  const ordinal = "(?:st|nd|rd|th)?";
  const iso = /\b(\d{4}-\d{2}-\d{2})(?:\s*(?:to|until|through|till|-|–|—)\s*(\d{4}-\d{2}-\d{2}))?\b/.exec(text);
  if (iso?.[1]) {
    const start = DateTime.fromISO(iso[1], { zone: "utc" });
    return iso[2] ? range(start, DateTime.fromISO(iso[2], { zone: "utc" })) : single(start);
  }
  const dayRange = new RegExp(`\\b(\\d{1,2})${ordinal}\\s*(?:-|–|—|to|until|and)\\s*(\\d{1,2})${ordinal}\\s+(?:of\\s+)?${MONTH}\\b(?:,?\\s+(\\d{4}))?`, "i").exec(text);
  if (dayRange?.[1] && dayRange[2] && dayRange[3]) {
    const month = monthNumber(dayRange[3]);
    const year = resolveYear(month, Number(dayRange[1]), dayRange[4], today);
    return range(DateTime.utc(year, month, Number(dayRange[1])), DateTime.utc(year, month, Number(dayRange[2])));
  }
  const monthRange = new RegExp(`\\b${MONTH}\\s+(\\d{1,2})${ordinal}\\s*(?:-|–|—|to|until)\\s*(\\d{1,2})${ordinal}(?!\\d)(?:,?\\s+(\\d{4}))?`, "i").exec(text);
  if (monthRange?.[1] && monthRange[2] && monthRange[3]) {
    const month = monthNumber(monthRange[1]);
    const year = resolveYear(month, Number(monthRange[2]), monthRange[4], today);
    return range(DateTime.utc(year, month, Number(monthRange[2])), DateTime.utc(year, month, Number(monthRange[3])));
  }
  const dayMonth = new RegExp(`\\b(\\d{1,2})${ordinal}\\s+(?:of\\s+)?${MONTH}\\b(?:,?\\s+(\\d{4}))?`, "i").exec(text);
  if (dayMonth?.[1] && dayMonth[2]) {
    const month = monthNumber(dayMonth[2]);
    return single(DateTime.utc(resolveYear(month, Number(dayMonth[1]), dayMonth[3], today), month, Number(dayMonth[1])));
  }
  const monthDay = new RegExp(`\\b${MONTH}\\s+(\\d{1,2})${ordinal}(?!\\d)(?:,?\\s+(\\d{4}))?`, "i").exec(text);
  if (monthDay?.[1] && monthDay[2]) {
    const month = monthNumber(monthDay[1]);
    return single(DateTime.utc(resolveYear(month, Number(monthDay[2]), monthDay[3], today), month, Number(monthDay[2])));
  }
  return undefined;
}

function monthOnly(text: string, today: DateTime): DateMention | undefined {
  const named =
    new RegExp(`\\b${MONTH}\\s+(\\d{4})\\b`, "i").exec(text) ??
    new RegExp(`\\b(?:in|during|for|around|early|mid|late|this|next|coming|to)\\s+(?:-\\s*)?${MONTH}\\b`, "i").exec(text);
  if (named?.[1]) {
    const month = monthNumber(named[1]);
    return { basis: "month", start: DateTime.utc(resolveYear(month, undefined, named[2], today), month, 1) };
  }
  if (/\bnext month\b/i.test(text)) return { basis: "month", start: today.plus({ months: 1 }).startOf("month") };
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Money

const SYMBOLS: [string, string][] = [
  ["US$", "USD"], ["CA$", "CAD"], ["C$", "CAD"], ["A$", "AUD"], ["S$", "SGD"], ["MX$", "MXN"], ["HK$", "HKD"], ["NZ$", "NZD"],
  ["€", "EUR"], ["£", "GBP"], ["¥", "JPY"], ["₹", "INR"], ["$", "USD"],
];
const CURRENCY_WORDS: [RegExp, string][] = [
  [/^euros?$/i, "EUR"], [/^dollars?$/i, "USD"], [/^(pounds?|quid)$/i, "GBP"], [/^yen$/i, "JPY"], [/^pesos?$/i, "MXN"], [/^francs?$/i, "CHF"],
];
const ISO_CURRENCIES = new Set(Intl.supportedValuesOf("currency"));

/**
 * "30,000", "30.000", "30 000", "30,000.50", "1.5" → the amount as a decimal string. A lone separator
 * followed by exactly three digits groups thousands; otherwise it marks decimals.
 */
function normaliseAmount(raw: string): string | undefined {
  const compact = raw.replace(/[\s']/g, "");
  const lastComma = compact.lastIndexOf(",");
  const lastDot = compact.lastIndexOf(".");
  let integer = compact;
  let fraction = "";
  if (lastComma >= 0 && lastDot >= 0) {
    const decimalAt = Math.max(lastComma, lastDot);
    integer = compact.slice(0, decimalAt).replace(/[,.]/g, "");
    fraction = compact.slice(decimalAt + 1);
  } else if (lastComma >= 0 || lastDot >= 0) {
    const separator = lastComma >= 0 ? "," : ".";
    const parts = compact.split(separator);
    const last = parts[parts.length - 1] ?? "";
    if (parts.length > 2 || last.length === 3) integer = parts.join("");
    else {
      integer = parts.slice(0, -1).join("");
      fraction = last;
    }
  }
  if (!/^\d+$/.test(integer) || !/^\d*$/.test(fraction)) return undefined;
  return fraction ? `${integer}.${fraction}` : integer;
}

function toMinor(amount: string, scale: string | undefined, currency: string): number | undefined {
  const multiplier = scale === undefined ? 1 : /^(k|thousand)$/i.test(scale) ? 1_000 : 1_000_000;
  const value = Math.round(Number(amount) * multiplier * 10 ** minorUnitDigits(currency));
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

interface MoneyMention {
  index: number;
  amountMinor: number;
  currency: string;
  ambiguousDollar: boolean;
}

function moneyMentions(text: string): MoneyMention[] {
  const amount = "(?<![\\d.,])(\\d{1,3}(?:[,.' ]\\d{3})+(?:[.,]\\d{1,2})?|\\d+(?:[.,]\\d{1,2})?)";
  const scale = "(?:\\s?(k|m|thousand|million)\\b)?";
  const symbols = SYMBOLS.map(([symbol]) => symbol.replace(/\$/g, "\\$")).join("|");
  const mentions: MoneyMention[] = [];
  const add = (index: number, raw: string | undefined, unit: string | undefined, currency: string | undefined, ambiguousDollar = false) => {
    if (raw === undefined || currency === undefined || !ISO_CURRENCIES.has(currency)) return;
    const normalised = normaliseAmount(raw.trim());
    const minor = normalised === undefined ? undefined : toMinor(normalised, unit, currency);
    if (minor !== undefined) mentions.push({ index, amountMinor: minor, currency, ambiguousDollar });
  };
  for (const match of text.matchAll(new RegExp(`(${symbols})\\s?${amount}${scale}`, "g"))) {
    const symbol = match[1] ?? "";
    add(match.index, match[2], match[3], SYMBOLS.find(([s]) => s === symbol)?.[1], symbol === "$");
  }
  // Codes must be upper case: "all 40 people" is not 40 Albanian lek.
  for (const match of text.matchAll(new RegExp(`\\b([A-Z]{3})\\s?${amount}${scale}`, "g"))) add(match.index, match[2], match[3], match[1]);
  for (const match of text.matchAll(new RegExp(`${amount}${scale}\\s?(?:([A-Z]{3})\\b|(euros?|dollars?|pounds?|quid|yen|pesos?|francs?)\\b)`, "gi"))) {
    const code = match[3] !== undefined && /^[A-Z]{3}$/.test(match[3]) ? match[3] : undefined;
    const word = match[4] ?? (code === undefined ? match[3] : undefined);
    const currency = code ?? CURRENCY_WORDS.find(([pattern]) => word !== undefined && pattern.test(word))?.[1];
    add(match.index, match[1], match[2], currency, /^dollars?$/i.test(word ?? ""));
  }
  return mentions.sort((a, b) => a.index - b.index);
}

/** The amount named right after "budget" wins; otherwise the first amount in the text. */
function parseBudget(text: string): PlanningRequest["budget"] {
  const mentions = moneyMentions(text);
  const budgetAt = text.search(/\bbudget\b/i);
  const chosen = (budgetAt >= 0 ? mentions.find((mention) => mention.index > budgetAt) : undefined) ?? mentions[0];
  return chosen ? { amountMinor: chosen.amountMinor, currency: chosen.currency, ambiguousDollar: chosen.ambiguousDollar } : null;
}

// ---------------------------------------------------------------------------------------------
// Needs and guests

const DIETARY_RULES: [(typeof OFFLINE_DIETARY)[number], RegExp][] = [
  ["vegetarian", /\b(vegetarian|veggie)/i],
  ["vegan", /\bvegan/i],
  ["gluten_free", /\b(gluten[\s_-]*free|coeliac|celiac|no gluten)/i],
  ["halal", /\bhalal\b/i],
  ["kosher", /\bkosher\b/i],
  ["nut_free", /\b(nut[\s_-]*free|nut allerg|no nuts)/i],
  ["dairy_free", /\b(dairy[\s_-]*free|lactose)/i],
];

const ACCESSIBILITY_RULES: [string[], RegExp][] = [
  // A wheelchair user needs both; the catalogue calls a venue wheelchair accessible exactly then.
  [["step_free_access", "accessible_toilets"], /\b(wheelchair|accessible venue|fully accessible|disabled access)\b/i],
  [["step_free_access"], /\b(step[\s-]*free|no stairs|level access)\b/i],
  [["hearing_loop"], /\b(hearing[\s-]*loop|induction loop)\b/i],
  [["lift"], /\b(lift|elevator)\b/i],
];

const NAME_STOP_WORDS = new Set(["invite", "invites", "inviting", "and", "also", "plus", "please", "guests", "guest", "call", "text", "sms", "to", "with", "including", "are", "is", "the"]);

function parseGuests(text: string): PlanningRequest["guests"] {
  const guests: PlanningRequest["guests"] = [];
  for (const match of text.matchAll(/\+\d[\d\s().-]{5,20}\d/g)) {
    const phone = `+${match[0].replace(/\D/g, "")}`;
    if (!E164_PATTERN.test(phone) || guests.some((guest) => guest.phone === phone)) continue;
    const before = text.slice(Math.max(0, match.index - 80), match.index).replace(/[\s(:–—-]+$/u, "").replace(/\s+(?:on|at)$/iu, "");
    const words = before.split(/[\s,;]+/u);
    const name: string[] = [];
    for (let i = words.length - 1; i >= 0 && name.length < 4; i--) {
      const word = words[i] ?? "";
      if (!/^[\p{Lu}][\p{L}'’.-]*$/u.test(word) || NAME_STOP_WORDS.has(word.toLowerCase())) break;
      name.unshift(word);
    }
    guests.push({ name: name.length > 0 ? name.join(" ") : `Guest ${guests.length + 1}`, phone });
  }
  return guests;
}

// ---------------------------------------------------------------------------------------------

interface MessageFacts {
  kind: OfflineEventKind | null;
  headcount: number | null;
  city: string | null;
  date: DateMention | undefined;
  /** Days the message states ("2-day") or a range it names implies. */
  days: number | null;
  budget: PlanningRequest["budget"];
  dietary: PlanningRequest["dietary"];
  accessibility: string[];
  guests: PlanningRequest["guests"];
}

function readMessage(text: string, today: DateTime): MessageFacts {
  const kind = parseKind(text);
  const date = explicitDates(text, today) ?? monthOnly(text, today);
  return {
    kind: kind === "other" ? null : kind,
    headcount: parseHeadcount(text),
    city: parseCity(text),
    date,
    days: date?.rangeDays ?? parseDuration(text),
    budget: parseBudget(text),
    dietary: OFFLINE_DIETARY.filter((need) => DIETARY_RULES.some(([option, pattern]) => option === need && pattern.test(text))),
    accessibility: [...new Set(ACCESSIBILITY_RULES.filter(([, pattern]) => pattern.test(text)).flatMap(([features]) => features))],
    guests: parseGuests(text),
  };
}

function startOfDay(now: Date): DateTime {
  return DateTime.fromJSDate(now, { zone: "utc" }).startOf("day");
}

/**
 * The facts of a whole conversation, oldest message first: each later message overrides what it
 * states ("move it to April"), needs and guests accumulate. Dates are resolved last, so a month
 * named in a follow-up still starts on the weekday the event's type and length call for.
 */
export function parseConversation(texts: readonly string[], now: Date): PlanningRequest {
  const today = startOfDay(now);
  const messages = texts.map((text) => readMessage(text, today));
  const last = <T>(pick: (facts: MessageFacts) => T | null | undefined): T | null =>
    messages.reduce<T | null>((found, facts) => pick(facts) ?? found, null);
  const kind = last((facts) => facts.kind) ?? "other";
  const date = last((facts) => facts.date);
  const days = last((facts) => facts.days) ?? 1;
  const start = date === null ? null : date.basis === "month" ? firstWeekdayOfMonth(date.start.year, date.start.month, startWeekday(kind, days), today) : date.start;
  const guests: PlanningRequest["guests"] = [];
  for (const guest of messages.flatMap((facts) => facts.guests)) if (!guests.some((known) => known.phone === guest.phone)) guests.push(guest);
  const facts = {
    kind,
    headcount: last((facts) => facts.headcount),
    city: last((facts) => facts.city),
    startDate: start?.toISODate() ?? null,
    endDate: start?.plus({ days: days - 1 }).toISODate() ?? null,
    days,
    dateBasis: date?.basis ?? null,
    budget: last((facts) => facts.budget),
    dietary: OFFLINE_DIETARY.filter((need) => messages.some((facts) => facts.dietary.includes(need))),
    accessibility: [...new Set(messages.flatMap((facts) => facts.accessibility))],
    guests,
  };
  const missing: RequestField[] = [];
  if (facts.city === null) missing.push("city");
  if (facts.headcount === null) missing.push("headcount");
  if (facts.startDate === null) missing.push("dates");
  if (facts.budget === null) missing.push("budget");
  return planningRequestSchema.parse({ ...facts, missing });
}

/** Read one request. `now` anchors phrases such as "in March" (the next March after it). */
export function parsePlanningRequest(text: string, now: Date): PlanningRequest {
  return parseConversation([text], now);
}

/** Whether a message says anything the planner can use (a bare "thanks" does not). */
export function saysAnything(text: string, now: Date): boolean {
  const facts = readMessage(text, startOfDay(now));
  return (
    facts.kind !== null ||
    facts.headcount !== null ||
    facts.city !== null ||
    facts.date !== undefined ||
    facts.days !== null ||
    facts.budget !== null ||
    facts.dietary.length > 0 ||
    facts.accessibility.length > 0 ||
    facts.guests.length > 0
  );
}
