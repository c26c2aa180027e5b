import { LoadError, Loading, Chip } from "../components/Status";
import { useApi } from "../context";
import { dateRange, money } from "../format";
import { useLoad } from "../hooks";
import { Link } from "../router";

export function EventsPage() {
  const api = useApi();
  const events = useLoad(() => api.events(), [api]);
  return (
    <section aria-labelledby="events-title">
      <h1 id="events-title">Events</h1>
      {events.error ? <LoadError error={events.error} retry={events.reload} /> : null}
      {!events.data ? (
        <Loading what="events" />
      ) : events.data.data.length === 0 ? (
        <p>
          No events yet. <Link href="/">Ask the planner for one</Link>.
        </p>
      ) : (
        <ul class="event-list">
          {events.data.data.map((event) => (
            <li key={event.id}>
              <Link href={`/events/${event.id}`}>{event.title}</Link> <Chip value={event.status} />
              <p class="muted small">
                {[event.city, `${event.headcount} people`, event.startsAt && event.endsAt ? dateRange(event.startsAt, event.endsAt, event.timeZone) : "dates to be set", event.budgetMinor !== null ? `budget ${money(event.budgetMinor, event.currency)}` : null]
                  .filter(Boolean)
                  .join(" · ")}
              </p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
