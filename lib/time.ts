/** `2027-03-10 09:00` as a wall clock in the given IANA zone; instants are stored, zones are shown. */
export function formatLocal(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("sv-SE", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(instant);
}
