/** Everything waiting for a person, across conversations. */
import { useEffect } from "preact/hooks";
import { ApprovalCard } from "../components/ApprovalCard";
import { LoadError, Loading } from "../components/Status";
import { APPROVALS_CHANGED, useApi } from "../context";
import { useLoad } from "../hooks";
import { Link } from "../router";

/** Approvals name their run; the conversation behind it has the context a person decides with. */
function ConversationLink({ runId }: { runId: string }) {
  const api = useApi();
  const run = useLoad(() => api.run(runId), [api, runId]);
  if (!run.data) return null;
  return (
    <p class="small">
      <Link href={`/conversations/${run.data.conversationId}`}>Open the conversation</Link>
    </p>
  );
}

export function ApprovalsPage() {
  const api = useApi();
  const pending = useLoad(() => api.approvals({ status: "pending" }), [api]);
  useEffect(() => {
    addEventListener(APPROVALS_CHANGED, pending.reload);
    return () => removeEventListener(APPROVALS_CHANGED, pending.reload);
  }, [pending.reload]);

  return (
    <section aria-labelledby="approvals-title">
      <h1 id="approvals-title">Approvals</h1>
      <p class="muted">Payments, messages to people outside the team and anything destructive wait here until someone decides.</p>
      {pending.error ? <LoadError error={pending.error} retry={pending.reload} /> : null}
      {!pending.data ? (
        <Loading what="approvals" />
      ) : pending.data.data.length === 0 ? (
        <p>
          Nothing is waiting for approval. <Link href="/">Start a plan</Link>.
        </p>
      ) : (
        <div class="cards">
          {pending.data.data.map((approval) => (
            <div key={approval.id}>
              <ApprovalCard approval={approval} />
              <ConversationLink runId={approval.runId} />
            </div>
          ))}
        </div>
      )}
    </section>
  );
}
