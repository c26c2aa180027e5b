/**
 * One pending approval: what will happen (amount and currency, recipients, the message text),
 * Approve or Reject with a note, and a corrected amount before approving. An edited amount is sent
 * as `editedArgs`: the call's arguments as approved, with the same idempotency key.
 */
import { useState } from "preact/hooks";
import { describeError } from "../api";
import { announceApprovalsChanged, useApi } from "../context";
import { majorInput, money, parseMajor, relative, toolName } from "../format";
import type { Approval } from "../types";

/** The text that will reach people, from the usual argument names of messaging tools. */
function messageText(payload: Record<string, unknown>): string | undefined {
  for (const key of ["template", "body", "text", "message"]) {
    const value = payload[key];
    if (typeof value === "string" && value.trim() !== "") return value;
  }
  return undefined;
}

export function ApprovalCard({ approval, onDecided }: { approval: Approval; onDecided?: (decided: Approval) => void }) {
  const api = useApi();
  const payload = approval.payload;
  const editableAmount = typeof payload.amountMinor === "number" && typeof payload.currency === "string" ? { minor: payload.amountMinor, currency: payload.currency } : undefined;
  const [amount, setAmount] = useState(editableAmount ? majorInput(editableAmount.minor, editableAmount.currency) : "");
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const idBase = `approval-${approval.id}`;
  const message = messageText(payload);
  const description = typeof payload.description === "string" ? payload.description : undefined;

  const decide = async (decision: "approve" | "reject") => {
    setError(undefined);
    let editedArgs: Record<string, unknown> | undefined;
    if (decision === "approve" && editableAmount) {
      const minor = parseMajor(amount, editableAmount.currency);
      if (minor === undefined) {
        setError(`Enter the amount as a number, e.g. ${majorInput(editableAmount.minor, editableAmount.currency)}.`);
        return;
      }
      if (minor !== editableAmount.minor) editedArgs = { ...payload, amountMinor: minor };
    }
    setBusy(true);
    try {
      const decided = await api.decide(approval.id, { decision, ...(note.trim() ? { note: note.trim() } : {}), ...(editedArgs ? { editedArgs } : {}) });
      announceApprovalsChanged();
      onDecided?.(decided);
    } catch (caught) {
      setError(describeError(caught));
      // Decided elsewhere or expired meanwhile: the lists should show it as it is now.
      announceApprovalsChanged();
    } finally {
      setBusy(false);
    }
  };

  return (
    <article class="approval-card" aria-labelledby={`${idBase}-title`} data-action={approval.action}>
      <h3 id={`${idBase}-title`}>Approve: {toolName(approval.action)}?</h3>
      <p>{approval.summary}</p>
      <dl class="facts">
        {approval.amountMinor !== null && approval.currency ? (
          <div>
            <dt>Amount</dt>
            <dd class="amount">
              {money(approval.amountMinor, approval.currency)} <span class="muted">{approval.currency}</span>
            </dd>
          </div>
        ) : null}
        {approval.recipients.length > 0 ? (
          <div>
            <dt>Recipients</dt>
            <dd>
              <ul class="plain">
                {approval.recipients.map((recipient) => (
                  <li key={recipient}>{recipient}</li>
                ))}
              </ul>
            </dd>
          </div>
        ) : null}
        {message ? (
          <div>
            <dt>Message</dt>
            <dd>
              <blockquote>{message}</blockquote>
              {message.includes("{name}") ? <span class="hint">Each guest gets their own name in place of {"{name}"}.</span> : null}
            </dd>
          </div>
        ) : null}
        {description ? (
          <div>
            <dt>Description</dt>
            <dd>{description}</dd>
          </div>
        ) : null}
        {approval.expiresAt ? (
          <div>
            <dt>Expires</dt>
            <dd>{relative(approval.expiresAt)}</dd>
          </div>
        ) : null}
      </dl>
      <details class="muted small">
        <summary>All arguments</summary>
        <pre>{JSON.stringify(payload, null, 2)}</pre>
      </details>
      <form
        class="decide"
        onSubmit={(event) => {
          event.preventDefault();
          void decide("approve");
        }}
      >
        {editableAmount ? (
          <div class="field">
            <label for={`${idBase}-amount`}>Amount to approve ({editableAmount.currency})</label>
            <input id={`${idBase}-amount`} inputMode="decimal" value={amount} onInput={(event) => setAmount(event.currentTarget.value)} aria-describedby={`${idBase}-amount-hint`} />
            <span id={`${idBase}-amount-hint`} class="hint">
              Change it to approve a different amount; the edit is recorded.
            </span>
          </div>
        ) : null}
        <div class="field">
          <label for={`${idBase}-note`}>Note (optional)</label>
          <input id={`${idBase}-note`} value={note} onInput={(event) => setNote(event.currentTarget.value)} />
        </div>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <div class="actions">
          <button type="submit" disabled={busy}>
            Approve
          </button>
          <button type="button" class="danger" disabled={busy} onClick={() => void decide("reject")}>
            Reject
          </button>
        </div>
      </form>
    </article>
  );
}
