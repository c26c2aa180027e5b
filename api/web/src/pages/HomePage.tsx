/** Start a plan in one step (a new conversation with its first message), or open an earlier one. */
import { Composer } from "../components/Composer";
import { LoadError, Loading } from "../components/Status";
import { useApi } from "../context";
import { dateTime } from "../format";
import { useLoad } from "../hooks";
import { Link, navigate } from "../router";
import type { Conversation } from "../types";

export const EXAMPLE_REQUEST = "Plan a 2-day offsite for 40 people in Lisbon in March 2027, budget EUR 30000";

export function conversationTitle(conversation: Conversation): string {
  return conversation.title ?? `Conversation of ${dateTime(conversation.createdAt)}`;
}

export function ConversationList({ current }: { current?: string }) {
  const api = useApi();
  const list = useLoad(() => api.listConversations(), [api, current]);
  if (list.error) return <LoadError error={list.error} retry={list.reload} />;
  if (!list.data) return <Loading what="conversations" />;
  if (list.data.data.length === 0) return <p class="muted">No conversations yet.</p>;
  return (
    <ul class="conversation-list">
      {list.data.data.map((conversation) => (
        <li key={conversation.id}>
          <Link href={`/conversations/${conversation.id}`} aria-current={conversation.id === current ? "page" : undefined}>
            {conversationTitle(conversation)}
          </Link>
          <span class="muted small"> · {conversation.channel} · active {dateTime(conversation.updatedAt)}</span>
        </li>
      ))}
    </ul>
  );
}

export function HomePage() {
  const api = useApi();
  const start = async (content: string) => {
    const conversation = await api.createConversation(content.length > 80 ? `${content.slice(0, 79)}…` : content);
    await api.sendMessage(conversation.id, content, crypto.randomUUID());
    navigate(`/conversations/${conversation.id}`);
  };
  return (
    <div class="home">
      <section aria-labelledby="new-plan">
        <h1 id="new-plan">Plan an event</h1>
        <p class="muted">
          Describe the event: what, for how many people, where, when and the budget. For example: <q>{EXAMPLE_REQUEST}</q>. Add guests with their phone numbers to invite them by SMS.
        </p>
        <Composer label="What are you planning?" placeholder={EXAMPLE_REQUEST} submitLabel="Start planning" onSend={start} />
      </section>
      <section aria-labelledby="earlier">
        <h2 id="earlier">Conversations</h2>
        <ConversationList />
      </section>
    </div>
  );
}
