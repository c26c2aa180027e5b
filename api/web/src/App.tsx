/** The shell: sign-in gate, navigation, and the page for the current path. */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { Api } from "./api";
import { APPROVALS_CHANGED, ApiContext } from "./context";
import { Link, useRoute, type Route } from "./router";
import { storeKey, storedKey } from "./session";
import { ApprovalsPage } from "./pages/ApprovalsPage";
import { ChatPage } from "./pages/ChatPage";
import { EventPage } from "./pages/EventPage";
import { EventsPage } from "./pages/EventsPage";
import { HomePage } from "./pages/HomePage";
import { OutboxPage } from "./pages/OutboxPage";
import { SignIn } from "./pages/SignIn";

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "conversations":
      return route.id ? <ChatPage id={route.id} /> : <HomePage />;
    case "approvals":
      return <ApprovalsPage />;
    case "events":
      return route.id ? <EventPage id={route.id} /> : <EventsPage />;
    case "outbox":
      return <OutboxPage />;
    case "not_found":
      return (
        <section>
          <h1>Page not found</h1>
          <p>
            There is no page at <code>{route.path}</code>. <Link href="/">Go to your conversations</Link>.
          </p>
        </section>
      );
  }
}

function usePendingCount(api: Api | undefined): number | undefined {
  const [count, setCount] = useState<number>();
  useEffect(() => {
    if (!api) return;
    let live = true;
    const refresh = () => {
      api.approvals({ status: "pending" }).then(
        ({ data }) => live && setCount(data.length),
        () => undefined,
      );
    };
    refresh();
    addEventListener(APPROVALS_CHANGED, refresh);
    // New approvals also come from runs this tab is not watching (another tab, Slack): look now and then.
    const timer = setInterval(refresh, 20_000);
    return () => {
      live = false;
      removeEventListener(APPROVALS_CHANGED, refresh);
      clearInterval(timer);
    };
  }, [api]);
  return count;
}

const NAV: { href: string; label: string; page: Route["page"] }[] = [
  { href: "/", label: "Conversations", page: "conversations" },
  { href: "/approvals", label: "Approvals", page: "approvals" },
  { href: "/events", label: "Events", page: "events" },
  { href: "/outbox", label: "Outbox", page: "outbox" },
];

/** After a page change, focus the new page so a keyboard or screen-reader user starts there, not in the nav. */
function useFocusOnNavigation(route: Route): void {
  const first = useRef(true);
  const where = JSON.stringify(route);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById("main")?.focus({ preventScroll: true });
  }, [where]);
}

export function App() {
  const [key, setKey] = useState(storedKey);
  const [notice, setNotice] = useState<string>();
  const route = useRoute();
  useFocusOnNavigation(route);

  const signOut = (message?: string) => {
    storeKey(undefined);
    setKey(undefined);
    setNotice(message);
  };
  const api = useMemo(() => (key ? new Api(key, (error) => signOut(`You were signed out: ${error.message}`)) : undefined), [key]);
  const pending = usePendingCount(api);

  if (!api) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(accepted) => {
          storeKey(accepted);
          setNotice(undefined);
          setKey(accepted);
        }}
      />
    );
  }

  return (
    <ApiContext.Provider value={api}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/" class="brand">
          Event planner
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <li key={item.href}>
                <Link href={item.href} aria-current={route.page === item.page ? "page" : undefined}>
                  {item.label}
                  {item.page === "approvals" && pending ? (
                    <span class="badge" aria-label={`${pending} pending`}>
                      {pending}
                    </span>
                  ) : null}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" class="link-button" onClick={() => signOut("You signed out.")}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </ApiContext.Provider>
  );
}
