import { z } from "zod";

/** Shared value formats, used by config, the domain's input schemas and (as SQL checks) the database. */

/** A row id as it arrives in a path, tool argument or body. */
export const uuid = z.uuid({ error: "must be a UUID" });

export const E164_PATTERN = /^\+[1-9][0-9]{6,14}$/;

export const e164Phone = z.string().regex(E164_PATTERN, { error: "must be an E.164 phone number, e.g. +351912345678" });

export const email = z.email({ error: "must be a valid email address" }).max(254).transform((value) => value.toLowerCase());

const currencies = new Set(Intl.supportedValuesOf("currency"));

/** ISO 4217 code as Node's ICU knows it (EUR, USD, JPY, …). */
export const currencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, { error: "must be a three-letter ISO 4217 currency code, e.g. EUR" })
  .refine((code) => currencies.has(code), { error: "is not an ISO 4217 currency code" });

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** IANA time zone name such as Europe/Lisbon. */
export const timeZone = z.string().min(1).refine(isTimeZone, { error: "must be an IANA time zone, e.g. Europe/Lisbon" });

/** ISO 3166-1 alpha-2 country code. */
export const countryCode = z.string().regex(/^[A-Z]{2}$/, { error: "must be a two-letter ISO 3166 country code, e.g. PT" });

export const WORKSPACE_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export const workspaceName = z
  .string()
  .regex(WORKSPACE_NAME_PATTERN, { error: "must be 1-63 lowercase letters, digits or hyphens, e.g. acme" });

/** Money is always integer minor units (cents) with its currency, never a float. */
export const minorUnits = z.number({ error: "must be an integer amount in minor units" }).int({ error: "must be an integer amount in minor units (e.g. cents)" }).nonnegative({ error: "must not be negative" }).max(Number.MAX_SAFE_INTEGER);
