/** Sign in with an API key: checked against the API before it is kept (in session storage only). */
import { useState } from "preact/hooks";
import { Api, ApiError, describeError } from "../api";

export function SignIn({ notice, onSignedIn }: { notice: string | undefined; onSignedIn: (key: string) => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string>();
  const [checking, setChecking] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const candidate = key.trim();
    if (!candidate) {
      setError("Enter your API key.");
      return;
    }
    setChecking(true);
    setError(undefined);
    try {
      await new Api(candidate).listConversations();
      onSignedIn(candidate);
    } catch (caught) {
      setError(
        caught instanceof ApiError && caught.status === 401
          ? `That API key was not accepted (${caught.message}). Check that you copied all of it; the first \`npm start\` printed one, and \`npx event-planner keys create --workspace NAME\` makes another.`
          : describeError(caught),
      );
    } finally {
      setChecking(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>Event planner</h1>
      <p>Plan events by chatting with the planning agent. Anything that costs money or reaches people outside the team waits for your approval.</p>
      {notice ? <p class="notice" role="status">{notice}</p> : null}
      <form onSubmit={(event) => void submit(event)} method="post" aria-describedby="key-help">
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          placeholder="epk_…"
          value={key}
          onInput={(event) => setKey(event.currentTarget.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? "key-error" : undefined}
          required
        />
        <p id="key-help" class="hint">
          The key is kept in this tab only (session storage) and sent as a bearer token, never in a URL.
        </p>
        {error ? (
          <p id="key-error" class="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={checking}>
          {checking ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
