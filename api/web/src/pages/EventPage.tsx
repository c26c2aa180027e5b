/**
 * An event as the team needs it: when (in the event's own time zone), the venue, the budget chart,
 * the task timeline, guests with RSVP counts, vendor quotes and the planning documents.
 */
import { BudgetChart } from "../components/BudgetChart";
import { Chip, LoadError, Loading } from "../components/Status";
import { useApi } from "../context";
import { date, dateRange, label, money } from "../format";
import { useLoad } from "../hooks";
import { Markdown } from "../markdown";
import { Link } from "../router";
import type { EventDetails, RsvpStatus, SandboxObject, Task } from "../types";

const RSVP_ORDER: RsvpStatus[] = ["accepted", "tentative", "declined", "invited", "not_invited"];
const DAY_MS = 86_400_000;

function sortedTasks(tasks: readonly Task[]): Task[] {
  return [...tasks].sort((a, b) => (a.dueAt ?? "9999").localeCompare(b.dueAt ?? "9999") || a.position - b.position);
}

function daysBefore(dueAt: string, startsAt: string | null): string | undefined {
  if (!startsAt) return undefined;
  const days = Math.round((new Date(startsAt).getTime() - new Date(dueAt).getTime()) / DAY_MS);
  if (days > 0) return `${days} day${days === 1 ? "" : "s"} before`;
  if (days < 0) return `${-days} day${days === -1 ? "" : "s"} after`;
  return "on the day";
}

/** Planning documents name their event in the title (the planner's convention; documents carry no event id). */
function documentsOf(event: EventDetails, objects: readonly SandboxObject[]): SandboxObject[] {
  const title = event.title.toLowerCase();
  return objects.filter((object) => object.kind === "document" && typeof object.data.title === "string" && object.data.title.toLowerCase().includes(title));
}

/** A link worth offering: http(s), and not a sandbox address that leads nowhere. */
export function openableLink(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && !url.hostname.endsWith(".invalid") ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function Documents({ event }: { event: EventDetails }) {
  const api = useApi();
  const docs = useLoad(() => api.outbox("doc"), [api]);
  if (docs.error) return <LoadError error={docs.error} retry={docs.reload} />;
  if (!docs.data) return <Loading what="documents" />;
  const mine = documentsOf(event, docs.data.data);
  if (mine.length === 0) return <p class="muted">No planning documents for this event yet.</p>;
  return (
    <ul class="plain documents">
      {mine.map((doc) => {
        const link = openableLink(doc.data.webViewLink);
        return (
          <li key={doc.id}>
            <details>
              <summary>
                {String(doc.data.title)} <span class="muted small">({label(doc.status)})</span>
              </summary>
              {link ? (
                <p>
                  <a href={link} target="_blank" rel="noopener noreferrer">
                    Open the document
                  </a>
                </p>
              ) : null}
              {typeof doc.data.markdown === "string" ? <Markdown text={doc.data.markdown} class="document" /> : null}
            </details>
          </li>
        );
      })}
    </ul>
  );
}

export function EventPage({ id }: { id: string }) {
  const api = useApi();
  const loaded = useLoad(() => api.event(id), [api, id]);
  if (loaded.error && !loaded.data) return <LoadError error={loaded.error} retry={loaded.reload} />;
  if (!loaded.data) return <Loading what="the event" />;
  const event = loaded.data;
  const bookings = event.venueBookings.filter((booking) => booking.status !== "cancelled");
  const rsvp = new Map<RsvpStatus, number>();
  for (const guest of event.guests) rsvp.set(guest.rsvpStatus, (rsvp.get(guest.rsvpStatus) ?? 0) + 1);
  const plusOnes = event.guests.filter((guest) => guest.rsvpStatus === "accepted").reduce((sum, guest) => sum + guest.plusOnes, 0);

  return (
    <article class="event-page" aria-labelledby="event-title">
      <p class="back">
        <Link href="/events">← All events</Link>
      </p>
      <h1 id="event-title">{event.title}</h1>
      <p class="event-meta">
        <Chip value={event.status} /> <Chip value={event.kind} /> {event.headcount} people{event.city ? ` · ${event.city}` : ""}
      </p>
      <section aria-labelledby="when-title">
        <h2 id="when-title">When</h2>
        {event.startsAt && event.endsAt ? (
          <p class="when">
            {dateRange(event.startsAt, event.endsAt, event.timeZone)} <span class="muted">({event.timeZone} time)</span>
          </p>
        ) : (
          <p class="muted">Dates not set yet ({event.timeZone}).</p>
        )}
      </section>

      <section aria-labelledby="venue-title" class="venue">
        <h2 id="venue-title">Venue</h2>
        {bookings.length === 0 ? (
          <p class="muted">No venue booked or held yet.</p>
        ) : (
          bookings.map((booking) => (
            <div key={booking.id} class="venue-card">
              <p>
                <strong class="venue-name">{booking.venue.name}</strong> <Chip value={booking.status === "hold" ? "on hold" : booking.status} />
              </p>
              <p>{booking.venue.address}</p>
              <p class="muted small">
                Capacity {booking.venue.capacity} · {label(booking.venue.kind)} · {money(booking.priceMinor, booking.currency)} · {dateRange(booking.startsAt, booking.endsAt, event.timeZone)}
              </p>
            </div>
          ))
        )}
      </section>

      <section aria-labelledby="budget-title">
        <h2 id="budget-title">Budget</h2>
        <BudgetChart lines={event.budgetLines} currency={event.currency} budgetMinor={event.budgetMinor} />
        {event.budgetLines.length > 0 ? (
          <details>
            <summary>Budget lines</summary>
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Category</th>
                    <th scope="col">Line</th>
                    <th scope="col" class="num">
                      Budget
                    </th>
                    <th scope="col" class="num">
                      Committed
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {event.budgetLines.map((line) => (
                    <tr key={line.id}>
                      <td>{label(line.category)}</td>
                      <td>{line.description}</td>
                      <td class="num">{money(line.plannedMinor, line.currency)}</td>
                      <td class="num">{money(line.committedMinor, line.currency)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        ) : null}
      </section>

      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        {event.tasks.length === 0 ? (
          <p class="muted">No tasks yet.</p>
        ) : (
          <ol class="task-timeline">
            {sortedTasks(event.tasks).map((task) => (
              <li key={task.id} class={`task task-${task.status}`}>
                <span class="task-date">{task.dueAt ? date(task.dueAt, event.timeZone) : "No date"}</span>
                <span class="task-title">
                  {task.title} {task.status !== "todo" ? <Chip value={task.status} /> : null}
                </span>
                {task.dueAt ? <span class="muted small">{daysBefore(task.dueAt, event.startsAt)}</span> : null}
              </li>
            ))}
          </ol>
        )}
      </section>

      <section aria-labelledby="guests-title">
        <h2 id="guests-title">Guests</h2>
        {event.guests.length === 0 ? (
          <p class="muted">No guests on the list yet.</p>
        ) : (
          <>
            <ul class="rsvp-counts plain" aria-label="RSVP counts">
              {RSVP_ORDER.map((status) => (
                <li key={status} class={`rsvp rsvp-${status}`}>
                  <span class="rsvp-count">{rsvp.get(status) ?? 0}</span> {label(status)}
                </li>
              ))}
            </ul>
            {plusOnes > 0 ? <p class="muted small">Plus {plusOnes} accepted plus-ones.</p> : null}
            <div class="table-wrap">
              <table class="guest-table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Contact</th>
                    <th scope="col">RSVP</th>
                  </tr>
                </thead>
                <tbody>
                  {event.guests.map((guest) => (
                    <tr key={guest.id}>
                      <td>{guest.name}</td>
                      <td>{guest.phone ?? guest.email}</td>
                      <td>{label(guest.rsvpStatus)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </section>

      {event.vendorQuotes.length > 0 ? (
        <section aria-labelledby="vendors-title">
          <h2 id="vendors-title">Vendor quotes</h2>
          <ul class="plain">
            {event.vendorQuotes.map((quote) => (
              <li key={quote.id}>
                <strong>{quote.vendor.name}</strong> <Chip value={quote.status} /> {quote.amountMinor !== null ? money(quote.amountMinor, quote.currency) : null}
                <p class="muted small">{quote.description}</p>
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      <section aria-labelledby="docs-title">
        <h2 id="docs-title">Documents</h2>
        <Documents event={event} />
      </section>
    </article>
  );
}
