import { DateTime } from "luxon";
import { E164_PATTERN } from "../../lib/formats.js";

/**
 * The sending rules both backends obey, as pure functions: which time zones a number may be in,
 * quiet hours there, opt-out keywords, the invitation template. No I/O and no hidden clock, so each
 * rule is tested at any instant without waiting for it.
 */

/** The backends read the time only through this, so tests can stand at 23:00 in Lisbon. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

export interface QuietHours {
  /** HH:MM, recipient's local time. */
  start: string;
  end: string;
}

export interface SendPolicy {
  quietHours: QuietHours;
  maxPerRecipientPerHour: number;
  clock: Clock;
}

export const RATE_WINDOW_MS = 60 * 60 * 1000;

/** Twilio's cap on one message body (error 21617 above it). */
export const MAX_BODY_LENGTH = 1600;

export function isE164(value: string): boolean {
  return E164_PATTERN.test(value);
}

interface CallingCodeRegion {
  countries: readonly string[];
  /** Every zone a number with this code may be in: a send must be outside quiet hours in all of them. */
  zones: readonly string[];
}

/**
 * Where a number without a `timeZone` may ring, from its country calling code, for the countries of
 * the seed catalogue. A code that spans several zones lists them all and the quiet-hours check
 * needs every one of them to be awake: mobile numbers do not reveal the island (Azores, Canaries)
 * or the state (+1), so the rule assumes the earliest and the latest clock the number could be on.
 * +1 is the North American span from St. John's to Honolulu; a code not listed here needs an
 * explicit `timeZone`, never a guess.
 */
export const CALLING_CODE_ZONES: Readonly<Record<string, CallingCodeRegion>> = {
  "1": {
    countries: ["US", "CA"],
    zones: ["America/St_Johns", "America/Halifax", "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu"],
  },
  "34": { countries: ["ES"], zones: ["Europe/Madrid", "Atlantic/Canary"] },
  "44": { countries: ["GB"], zones: ["Europe/London"] },
  "49": { countries: ["DE"], zones: ["Europe/Berlin"] },
  "52": { countries: ["MX"], zones: ["America/Cancun", "America/Mexico_City", "America/Mazatlan", "America/Tijuana"] },
  "65": { countries: ["SG"], zones: ["Asia/Singapore"] },
  "81": { countries: ["JP"], zones: ["Asia/Tokyo"] },
  "351": { countries: ["PT"], zones: ["Europe/Lisbon", "Atlantic/Azores"] },
};

/** +1 area codes on the far side of the Pacific (Northern Marianas, Guam, American Samoa): outside the span above. */
const NANP_OUTSIDE_SPAN = new Set(["670", "671", "684"]);

export type ZoneResolution = { ok: true; zones: string[]; source: "timeZone" | "callingCode" } | { ok: false; message: string };

/** The zones to check quiet hours in: the caller's `timeZone` when given, else the calling code's span. */
export function resolveRecipientZones(phone: string, timeZone?: string): ZoneResolution {
  if (timeZone) return { ok: true, zones: [timeZone], source: "timeZone" };
  const digits = phone.slice(1);
  // Calling codes are prefix-free, so at most one of the 1-3 digit prefixes is a code.
  const code = [1, 2, 3].map((n) => digits.slice(0, n)).find((prefix) => prefix in CALLING_CODE_ZONES);
  const region = code === undefined ? undefined : CALLING_CODE_ZONES[code];
  if (!region || (code === "1" && NANP_OUTSIDE_SPAN.has(digits.slice(1, 4)))) {
    return { ok: false, message: `the recipient's time zone cannot be told from ${phone}; give timeZone (an IANA zone such as Europe/Lisbon) so quiet hours can be checked` };
  }
  return { ok: true, zones: [...region.zones], source: "callingCode" };
}

function minuteOfDay(hhmm: string): number {
  const [hours = 0, minutes = 0] = hhmm.split(":").map(Number);
  return hours * 60 + minutes;
}

/** Start equal to end means no quiet hours at all. */
export function isQuietMinute(minute: number, quietHours: QuietHours): boolean {
  const start = minuteOfDay(quietHours.start);
  const end = minuteOfDay(quietHours.end);
  if (start === end) return false;
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

function localTime(instant: Date, zone: string): DateTime {
  return DateTime.fromJSDate(instant, { zone });
}

function isQuietIn(instant: Date, zone: string, quietHours: QuietHours): boolean {
  const local = localTime(instant, zone);
  return isQuietMinute(local.hour * 60 + local.minute, quietHours);
}

export interface QuietHoursHit {
  zone: string;
  /** The recipient's wall clock now, e.g. 2027-03-10 23:15. */
  localTime: string;
  /** The first instant outside quiet hours in every zone; undefined when the zones' waking hours never overlap. */
  allowedFrom?: Date;
}

/** Undefined when `now` is outside quiet hours in every zone; otherwise where it is quiet and when it stops being. */
export function checkQuietHours(now: Date, zones: readonly string[], quietHours: QuietHours): QuietHoursHit | undefined {
  const zone = zones.find((z) => isQuietIn(now, z, quietHours));
  if (zone === undefined) return undefined;
  // Quiet hours can only stop when some zone's quiet hours end, so those instants are the only candidates.
  const end = minuteOfDay(quietHours.end);
  const candidates = zones
    .flatMap((z) => [0, 1, 2].map((days) => localTime(now, z).startOf("day").plus({ days }).set({ hour: Math.floor(end / 60), minute: end % 60 }).toJSDate()))
    .filter((candidate) => candidate.getTime() > now.getTime())
    .sort((a, b) => a.getTime() - b.getTime());
  const allowedFrom = candidates.find((candidate) => zones.every((z) => !isQuietIn(candidate, z, quietHours)));
  return { zone, localTime: localTime(now, zone).toFormat("yyyy-MM-dd HH:mm"), allowedFrom };
}

/**
 * Twilio's default opt-out keywords (Advanced Opt-Out), matched like Twilio does: the whole message,
 * case-insensitive, surrounding spaces ignored. We also ignore trailing punctuation ("Stop!"),
 * erring towards honouring an opt-out.
 */
export const OPT_OUT_KEYWORDS = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"] as const;
/** Twilio's opt-in keywords: any of them re-subscribes a number that opted out (YES included, as on Twilio). */
export const OPT_IN_KEYWORDS = ["START", "YES", "UNSTOP"] as const;
export const HELP_KEYWORDS = ["HELP", "INFO"] as const;

export type Keyword = "opt_out" | "opt_in" | "help";

export function classifyKeyword(body: string): Keyword | null {
  const word = body.trim().replace(/[.!?]+$/u, "").trim().toUpperCase();
  if ((OPT_OUT_KEYWORDS as readonly string[]).includes(word)) return "opt_out";
  if ((OPT_IN_KEYWORDS as readonly string[]).includes(word)) return "opt_in";
  if ((HELP_KEYWORDS as readonly string[]).includes(word)) return "help";
  return null;
}

/** Newest first in, the number's standing out: opted out until a later opt-in. */
export function optedOut(keywordsNewestFirst: readonly (Keyword | null)[]): boolean {
  return keywordsNewestFirst.find((k) => k === "opt_out" || k === "opt_in") === "opt_out";
}

export const NAME_PLACEHOLDER = "{name}";

/** Why a template cannot be used, or undefined. Only {name} is filled in, so any other {…} would reach guests verbatim. */
export function templateProblem(template: string): string | undefined {
  if (!template.includes(NAME_PLACEHOLDER)) return `must contain ${NAME_PLACEHOLDER}, replaced by each recipient's name`;
  const other = template.match(/\{[^{}]*\}/gu)?.find((placeholder) => placeholder !== NAME_PLACEHOLDER);
  if (other) return `only ${NAME_PLACEHOLDER} is filled in; write the text of ${other} into the template`;
  return undefined;
}

export function renderTemplate(template: string, name: string): string {
  return template.split(NAME_PLACEHOLDER).join(name);
}

const GSM_7 = /^[A-Za-z0-9 \r\n@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!"#¤%&'()*+,\-./:;<=>?¡ÄÖÑÜ§¿äöñüà^{}\\[~\]|€]*$/u;

/** How many SMS segments Twilio bills for a body: 160/153 characters in GSM-7, 70/67 in UCS-2. */
export function segmentCount(body: string): number {
  const [single, part] = GSM_7.test(body) ? [160, 153] : [70, 67];
  const length = [...body].length;
  return length <= single ? 1 : Math.ceil(length / part);
}
