/**
 * One conversation: the messages (the agent's answers as Markdown), pending approvals of its runs,
 * the composer, and the live panel of the selected run (the newest unless another is picked).
 */
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApprovalCard } from "../components/ApprovalCard";
import { Composer } from "../components/Composer";
import { RunPanel } from "../components/RunPanel";
import { LoadError, Loading, RunStatusChip } from "../components/Status";
import { APPROVALS_CHANGED, announceApprovalsChanged, useApi } from "../context";
import { dateTime } from "../format";
import { useLoad } from "../hooks";
import { Markdown } from "../markdown";
import { Link } from "../router";
import type { RunStatus } from "../types";
import { ConversationList, conversationTitle } from "./HomePage";

export function ChatPage({ id }: { id: string }) {
  const api = useApi();
  const thread = useLoad(() => api.thread(id), [api, id]);
  const [selectedRun, setSelectedRun] = useState<string>();
  const runs = thread.data?.runs ?? [];
  const runIds = runs.map((run) => run.id);
  const shownRun = selectedRun && runIds.includes(selectedRun) ? selectedRun : runIds.at(-1);

  const approvals = useLoad(async () => {
    const pending = await api.approvals({ status: "pending" });
    return pending.data.filter((approval) => runIds.includes(approval.runId));
  }, [api, runIds.join(",")]);
  useEffect(() => {
    addEventListener(APPROVALS_CHANGED, approvals.reload);
    return () => removeEventListener(APPROVALS_CHANGED, approvals.reload);
  }, [approvals.reload]);

  useEffect(() => setSelectedRun(undefined), [id]);

  const { reload: reloadThread } = thread;
  // A status change of the shown run may bring an answer or an approval: read both again.
  const onRunStatus = useCallback(
    (status: RunStatus) => {
      reloadThread();
      if (status === "awaiting_approval" || status === "running" || status === "succeeded" || status === "failed" || status === "cancelled") announceApprovalsChanged();
    },
    [reloadThread],
  );

  const send = async (content: string) => {
    const accepted = await api.sendMessage(id, content, crypto.randomUUID());
    setSelectedRun(accepted.runId);
    thread.reload();
  };

  if (thread.error && !thread.data) return <LoadError error={thread.error} retry={thread.reload} />;
  if (!thread.data) return <Loading what="the conversation" />;
  const runStatus = new Map(runs.map((run) => [run.id, run.status]));

  return (
    <div class="chat-layout">
      <aside class="chat-list" aria-labelledby="chat-list-title">
        <h2 id="chat-list-title">Conversations</h2>
        <p>
          <Link href="/">+ New plan</Link>
        </p>
        <ConversationList current={id} />
      </aside>
      <section class="chat" aria-labelledby="chat-title">
        <p class="back">
          <Link href="/">← All conversations</Link>
        </p>
        <h1 id="chat-title">{conversationTitle(thread.data)}</h1>
        <ol class="messages" aria-label="Messages">
          {thread.data.messages.map((message) => {
            const triggered = runs.find((run) => run.triggerMessageId === message.id);
            return (
              <li key={message.id} class={`message ${message.role}`}>
                <p class="message-meta">
                  <strong>{message.role === "user" ? "You" : "Planner"}</strong> <span class="muted small">{dateTime(message.createdAt)}</span>
                </p>
                {message.role === "assistant" ? <Markdown text={message.content} /> : <p class="user-text">{message.content}</p>}
                {triggered ? (
                  <p class="small">
                    <RunStatusChip status={runStatus.get(triggered.id) ?? triggered.status} />{" "}
                    {triggered.id !== shownRun ? (
                      <button type="button" class="link-button" onClick={() => setSelectedRun(triggered.id)}>
                        Show this run
                      </button>
                    ) : (
                      <span class="muted">shown in the run panel</span>
                    )}
                  </p>
                ) : null}
              </li>
            );
          })}
        </ol>
        {approvals.data && approvals.data.length > 0 ? (
          <section class="pending" aria-labelledby="pending-title">
            <h2 id="pending-title">Waiting for your approval</h2>
            <div class="cards">
              {approvals.data.map((approval) => (
                <ApprovalCard key={approval.id} approval={approval} />
              ))}
            </div>
          </section>
        ) : null}
        <Composer label="Message the planner" placeholder="Ask for a change, add guests, or ask a question…" submitLabel="Send" onSend={send} />
      </section>
      <div class="chat-run">{shownRun ? <RunPanel key={shownRun} runId={shownRun} onStatus={onRunStatus} /> : <p class="muted">No runs yet: send a message and the planner gets to work.</p>}</div>
    </div>
  );
}
