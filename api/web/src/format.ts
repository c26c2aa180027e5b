/** Display helpers: money from minor units, times in a given IANA zone, usage and cost. */

const LOCALE = "en-GB";

/** Digits after the decimal point in a currency (EUR 2, JPY 0, KWD 3), per the browser's ICU data. */
export function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat(LOCALE, { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

export function money(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  const major = minor / 10 ** digits;
  try {
    return new Intl.NumberFormat(LOCALE, { style: "currency", currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(major);
  } catch {
    return `${major.toFixed(digits)} ${currency}`;
  }
}

/** "1,920.00" for an amount input, without the symbol. */
export function majorInput(minor: number, currency: string): string {
  return (minor / 10 ** minorDigits(currency)).toFixed(minorDigits(currency));
}

/** The minor units a person typed as a major amount ("1 500,5" is refused: one dot for decimals only). */
export function parseMajor(text: string, currency: string): number | undefined {
  const cleaned = text.replace(/[\s,]/g, "");
  const digits = minorDigits(currency);
  const pattern = digits === 0 ? /^\d+$/ : new RegExp(`^\\d+(\\.\\d{1,${digits}})?$`);
  if (!pattern.test(cleaned)) return undefined;
  return Math.round(Number(cleaned) * 10 ** digits);
}

export function dateTime(iso: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(LOCALE, { dateStyle: "medium", timeStyle: "short", ...(timeZone ? { timeZone } : {}) }).format(new Date(iso));
}

export function date(iso: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(LOCALE, { weekday: "short", day: "numeric", month: "short", year: "numeric", ...(timeZone ? { timeZone } : {}) }).format(new Date(iso));
}

/** "Tue 2 Mar 2027, 09:00 – Wed 3 Mar 2027, 18:00" in the event's zone. */
export function dateRange(startIso: string, endIso: string, timeZone: string): string {
  const format = new Intl.DateTimeFormat(LOCALE, { weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZone });
  return `${format.format(new Date(startIso))} – ${format.format(new Date(endIso))}`;
}

export function relative(iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const units: [Intl.RelativeTimeFormatUnit, number][] = [["day", 86400], ["hour", 3600], ["minute", 60]];
  const format = new Intl.RelativeTimeFormat(LOCALE, { numeric: "auto" });
  for (const [unit, size] of units) if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  return format.format(seconds, "second");
}

export function usd(micros: number): string {
  return `$${(micros / 1_000_000).toFixed(micros > 0 && micros < 10_000 ? 4 : 2)}`;
}

export function count(n: number): string {
  return new Intl.NumberFormat(LOCALE).format(n);
}

/** `stripe__pay_vendor_deposit` → "Stripe: pay vendor deposit". */
export function toolName(name: string): string {
  const [server, tool] = name.includes("__") ? name.split("__", 2) : ["", name];
  const words = (tool ?? name).replace(/_/g, " ");
  return server ? `${server.charAt(0).toUpperCase()}${server.slice(1)}: ${words}` : words;
}

/** Words that are not written as sentence case. */
const SPECIAL_LABELS: Record<string, string> = { av: "AV", sms: "SMS" };

export function label(value: string): string {
  const special = SPECIAL_LABELS[value];
  if (special) return special;
  const words = value.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
