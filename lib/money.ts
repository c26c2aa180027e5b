/** Digits after the decimal point for a currency (JPY 0, EUR 2, KWD 3), from ICU. */
export function minorUnitDigits(currency: string): number {
  return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** `3000000, "EUR"` → `"€30,000.00"`: integer minor units in, never a float stored. */
export function formatMinor(amountMinor: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  return new Intl.NumberFormat("en", { style: "currency", currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(amountMinor / 10 ** digits);
}
