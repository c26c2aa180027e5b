/**
 * What the sandbox integrations did, as a person would have seen it: SMS sent, Slack posts,
 * payments, calendar entries and documents. Only present when an integration runs without
 * credentials (its sandbox backend).
 */
import { useState } from "preact/hooks";
import { Chip, LoadError, Loading } from "../components/Status";
import { useApi } from "../context";
import { dateRange, dateTime, label, money } from "../format";
import { useLoad } from "../hooks";
import { Markdown } from "../markdown";
import type { OutboxKind, SandboxObject } from "../types";
import { openableLink } from "./EventPage";

const KINDS: { kind: OutboxKind | undefined; label: string }[] = [
  { kind: undefined, label: "Everything" },
  { kind: "sms", label: "SMS" },
  { kind: "slack", label: "Slack" },
  { kind: "payment", label: "Payments" },
  { kind: "calendar", label: "Calendar" },
  { kind: "doc", label: "Documents" },
];

/** What the outbox shows: the things that went out, not the sandbox's own bookkeeping (channels, calendars, revisions). */
const SHOWN = new Set(["twilio:sms", "slack:message", "stripe:payment", "stripe:refund", "stripe:invoice", "stripe:payment_link", "stripe:customer", "calendar:event", "gdrive:document", "gdrive:permission"]);

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

function Body({ object }: { object: SandboxObject }) {
  const d = object.data;
  switch (`${object.service}:${object.kind}`) {
    case "twilio:sms":
      return (
        <>
          <p>
            <strong>SMS to {str(d.to)}</strong> <span class="muted small">from {str(d.from)}</span>
          </p>
          <blockquote>{str(d.body)}</blockquote>
        </>
      );
    case "slack:message":
      return (
        <>
          <p>
            <strong>Slack post</strong> <span class="muted small">in {str(d.channel) ?? object.parentExternalId}</span>
          </p>
          <Markdown text={str(d.text) ?? ""} />
        </>
      );
    case "stripe:payment":
    case "stripe:refund":
      return (
        <p>
          <strong>
            {object.kind === "refund" ? "Refund" : "Payment"} of {typeof d.amount === "number" && str(d.currency) ? money(d.amount, str(d.currency)!.toUpperCase()) : "?"}
          </strong>{" "}
          <span class="muted small">{str(d.id)}</span>
          <br />
          {str(d.description)}
        </p>
      );
    case "calendar:event":
      return (
        <p>
          <strong>Calendar: {str(d.summary)}</strong>
          <br />
          {str(d.start) && str(d.end) ? dateRange(str(d.start)!, str(d.end)!, str(d.timeZone) ?? "UTC") : null} {str(d.timeZone) ? <span class="muted">({str(d.timeZone)})</span> : null}
          {str(d.location) ? (
            <>
              <br />
              {str(d.location)}
            </>
          ) : null}
        </p>
      );
    case "gdrive:document": {
      const link = openableLink(d.webViewLink);
      return (
        <>
          <p>
            <strong>Document: {str(d.title)}</strong> {link ? <a href={link}>open</a> : null}
          </p>
          {str(d.markdown) ? (
            <details>
              <summary>Read it</summary>
              <Markdown text={str(d.markdown)!} class="document" />
            </details>
          ) : null}
        </>
      );
    }
    default:
      return (
        <>
          <p>
            <strong>
              {label(object.service)} {label(object.kind).toLowerCase()}
            </strong>{" "}
            <span class="muted small">{object.externalId}</span>
          </p>
          <details>
            <summary>Details</summary>
            <pre>{JSON.stringify(d, null, 2)}</pre>
          </details>
        </>
      );
  }
}

export function OutboxPage() {
  const api = useApi();
  const [kind, setKind] = useState<OutboxKind | undefined>();
  const outbox = useLoad(() => api.outbox(kind), [api, kind]);
  const items = outbox.data?.data.filter((object) => SHOWN.has(`${object.service}:${object.kind}`)) ?? [];

  return (
    <section aria-labelledby="outbox-title">
      <h1 id="outbox-title">Sandbox outbox</h1>
      <p class="muted">Integrations without credentials run a sandbox: what they would have sent or paid lands here instead, so you can see it.</p>
      <div class="filters" role="group" aria-label="Show">
        {KINDS.map((option) => (
          <button key={option.label} type="button" class={option.kind === kind ? "toggle on" : "toggle"} aria-pressed={option.kind === kind} onClick={() => setKind(option.kind)}>
            {option.label}
          </button>
        ))}
      </div>
      {outbox.error ? <LoadError error={outbox.error} retry={outbox.reload} /> : null}
      {!outbox.data ? (
        <Loading what="the outbox" />
      ) : items.length === 0 ? (
        <p>Nothing here yet.</p>
      ) : (
        <ul class="outbox plain">
          {items.map((object) => (
            <li key={object.id} class={`outbox-item kind-${object.kind}`} data-service={object.service} data-kind={object.kind}>
              <Body object={object} />
              <p class="muted small">
                <Chip value={object.status} /> {dateTime(object.createdAt)}
              </p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
