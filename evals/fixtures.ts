/**
 * Seeds a trial's fresh workspace with its scenario's fixtures, through the same domain functions
 * and sandbox backends the product uses: a private catalogue (venues and vendors visible to this
 * workspace alone), busy time on the team calendar, events that already exist (with their guests,
 * venue holds, paid deposits and requested quotes), documents shared in Drive and Slack messages.
 */
import { addBudgetLine } from "../domain/budget.js";
import type { DomainContext } from "../domain/context.js";
import { createEvent } from "../domain/events.js";
import { addGuests, recordRsvp, markInvited } from "../domain/guests.js";
import { requestVendorQuote } from "../domain/vendor-quotes.js";
import { createVenueBooking } from "../domain/venue-bookings.js";
import { createVendor } from "../domain/vendors.js";
import { createVenue } from "../domain/venues.js";
import type { DatabaseHandle } from "../drizzle/client.js";
import type { Vendor, Venue } from "../drizzle/schema/index.js";
import type { Config } from "../lib/config.js";
import { AppError } from "../lib/errors.js";
import type { Logger } from "../lib/logger.js";
import { createSandboxCalendarBackend } from "../mcp-servers/calendar/backends/sandbox.js";
import { createSandboxDriveBackend } from "../mcp-servers/gdrive/backends/sandbox.js";
import type { ToolContext } from "../mcp-servers/host/context.js";
import { createSandboxSlackBackend } from "../mcp-servers/slack/backends/sandbox.js";
import { createStripeSandboxBackend } from "../mcp-servers/stripe/backends/sandbox.js";
import type { Catalogue, Fixtures } from "./scenario.js";

export interface FixtureEnv {
  ctx: DomainContext;
  handle: DatabaseHandle;
  logger: Logger;
  config: Config;
}

export interface SeededFixtures {
  venues: Map<string, Venue>;
  vendors: Map<string, Vendor>;
  /** Fixture events by key. */
  events: Map<string, string>;
  busy: { start: string; end: string }[];
}

function toolContext(env: FixtureEnv): ToolContext {
  return { ...env.ctx, handle: env.handle, logger: env.logger };
}

function lookup<T>(map: Map<string, T>, name: string, what: string): T {
  const found = map.get(name);
  if (!found) throw new AppError("validation_failed", `fixtures: no ${what} named "${name}" in the scenario's catalogues`, { field: "fixtures" });
  return found;
}

/** Load named catalogues into the workspace as private venues and vendors. */
export async function seedCatalogues(ctx: DomainContext, catalogues: readonly Catalogue[]): Promise<Pick<SeededFixtures, "venues" | "vendors">> {
  const venues = new Map<string, Venue>();
  const vendors = new Map<string, Vendor>();
  for (const catalogue of catalogues) {
    const place = { city: catalogue.city, countryCode: catalogue.countryCode };
    for (const venue of catalogue.venues) {
      const { address, ...rest } = venue;
      venues.set(venue.name, await createVenue(ctx, { ...rest, ...place, timeZone: catalogue.timeZone, currency: catalogue.currency, address: address ?? `${venue.name}, ${catalogue.city}` }));
    }
    for (const vendor of catalogue.vendors) {
      vendors.set(vendor.name, await createVendor(ctx, { ...vendor, ...place, currency: catalogue.currency, priceMaxMinor: vendor.priceMaxMinor ?? vendor.priceMinMinor }));
    }
  }
  return { venues, vendors };
}

export async function seedFixtures(env: FixtureEnv, fixtures: Fixtures, catalogues: ReadonlyMap<string, Catalogue>): Promise<SeededFixtures> {
  const { ctx } = env;
  const chosen = fixtures.catalogues.map((name) => lookup(new Map(catalogues), name, "catalogue"));
  const { venues, vendors } = await seedCatalogues(ctx, chosen);

  const calendar = createSandboxCalendarBackend();
  for (const block of fixtures.calendarBusy) {
    await calendar.addBusyBlocks(ctx, { calendarId: block.calendar, blocks: [{ start: new Date(block.start), end: new Date(block.end), ...(block.summary ? { summary: block.summary } : {}) }] });
  }

  const events = new Map<string, string>();
  const stripe = createStripeSandboxBackend();
  for (const fixture of fixtures.events) {
    const catalogue = chosen.find((candidate) => candidate.city === fixture.city);
    const event = await createEvent(ctx, {
      title: fixture.title,
      kind: fixture.kind,
      status: "planning",
      city: fixture.city,
      countryCode: catalogue?.countryCode ?? null,
      timeZone: fixture.timeZone ?? catalogue?.timeZone ?? "UTC",
      startsAt: new Date(fixture.startsAt),
      endsAt: new Date(fixture.endsAt),
      headcount: fixture.headcount,
      budgetMinor: fixture.budgetMinor ?? null,
      currency: fixture.currency ?? catalogue?.currency ?? "EUR",
    });
    events.set(fixture.key, event.id);
    if (fixture.guests.length > 0) {
      const added = await addGuests(ctx, event.id, fixture.guests.map(({ rsvp: _rsvp, ...guest }) => guest));
      const invited = added.filter((_, index) => fixture.guests[index]?.rsvp !== undefined && fixture.guests[index]?.rsvp !== "not_invited");
      if (invited.length > 0) await markInvited(ctx, invited.map((guest) => guest.id));
      for (const [index, guest] of added.entries()) {
        const rsvp = fixture.guests[index]?.rsvp;
        if (rsvp === "accepted" || rsvp === "declined" || rsvp === "tentative") await recordRsvp(ctx, guest.id, { status: rsvp });
      }
    }
    if (fixture.booking) {
      const venue = lookup(venues, fixture.booking.venue, "venue");
      const days = Math.max(1, Math.ceil((Date.parse(fixture.endsAt) - Date.parse(fixture.startsAt)) / 86_400_000));
      const booking = await createVenueBooking(ctx, {
        eventId: event.id,
        venueId: venue.id,
        status: fixture.booking.status,
        startsAt: new Date(fixture.startsAt),
        endsAt: new Date(fixture.endsAt),
        priceMinor: venue.dayRateMinor * days,
        currency: venue.currency,
      });
      if (fixture.deposit) {
        await stripe.payVendorDeposit(
          toolContext(env),
          { vendorName: fixture.deposit.vendorName, vendorReference: booking.id, description: `Deposit for ${venue.name}`, amountMinor: fixture.deposit.amountMinor, currency: venue.currency, eventId: event.id },
          `fixture-deposit-${fixture.key}`,
        );
      }
      await addBudgetLine(ctx, event.id, {
        category: "venue",
        description: `Venue: ${venue.name}`,
        plannedMinor: booking.priceMinor,
        committedMinor: fixture.deposit?.amountMinor ?? 0,
        currency: venue.currency,
        venueBookingId: booking.id,
      });
    }
    if (fixture.quote) {
      const vendor = lookup(vendors, fixture.quote.vendor, "vendor");
      await requestVendorQuote(ctx, { eventId: event.id, vendorId: vendor.id, description: fixture.quote.description, currency: vendor.currency });
    }
  }

  const drive = createSandboxDriveBackend();
  for (const [index, document] of fixtures.documents.entries()) {
    await drive.createDocument(toolContext(env), { title: document.title, markdown: document.markdown, idempotencyKey: `fixture-doc-${index}` });
  }

  const slack = createSandboxSlackBackend({ allowedChannels: env.config.slack.allowedChannels });
  for (const message of fixtures.slackMessages) {
    const channel = await slack.resolveChannel(ctx, message.channel);
    await slack.receiveMessage(ctx, { channel, user: message.user, text: message.text });
  }

  return { venues, vendors, events, busy: fixtures.calendarBusy.filter((block) => block.calendar === "primary").map((block) => ({ start: block.start, end: block.end })) };
}
