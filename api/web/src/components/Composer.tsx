/** The message box: Enter adds a line, Ctrl+Enter (or ⌘+Enter) or the button sends. */
import { useState } from "preact/hooks";
import { describeError } from "../api";

export function Composer({ label, placeholder, submitLabel, onSend }: { label: string; placeholder: string; submitLabel: string; onSend: (content: string) => Promise<void> }) {
  const [content, setContent] = useState("");
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string>();

  const send = async () => {
    const text = content.trim();
    if (!text || sending) return;
    setSending(true);
    setError(undefined);
    try {
      await onSend(text);
      setContent("");
    } catch (caught) {
      setError(describeError(caught));
    } finally {
      setSending(false);
    }
  };

  return (
    <form
      class="composer"
      onSubmit={(event) => {
        event.preventDefault();
        void send();
      }}
    >
      <label for="composer-input">{label}</label>
      <textarea
        id="composer-input"
        rows={3}
        placeholder={placeholder}
        value={content}
        onInput={(event) => setContent(event.currentTarget.value)}
        onKeyDown={(event) => {
          if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
            event.preventDefault();
            void send();
          }
        }}
        aria-describedby="composer-hint"
      />
      <div class="composer-actions">
        <span id="composer-hint" class="hint">
          Ctrl+Enter sends
        </span>
        <button type="submit" disabled={sending || content.trim() === ""}>
          {sending ? "Sending…" : submitLabel}
        </button>
      </div>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}
