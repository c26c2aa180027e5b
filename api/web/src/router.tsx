/** A small history router: the UI's pages are real paths (the server answers them with the app). */
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "conversations"; id?: string }
  | { page: "approvals" }
  | { page: "events"; id?: string }
  | { page: "outbox" }
  | { page: "not_found"; path: string };

export function parseRoute(path: string): Route {
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const [first, second] = parts;
  if (parts.length === 0) return { page: "conversations" };
  if (first === "conversations" && parts.length <= 2) return second ? { page: "conversations", id: second } : { page: "conversations" };
  if (first === "events" && parts.length <= 2) return second ? { page: "events", id: second } : { page: "events" };
  if (first === "approvals" && parts.length === 1) return { page: "approvals" };
  if (first === "outbox" && parts.length === 1) return { page: "outbox" };
  return { page: "not_found", path };
}

const listeners = new Set<() => void>();

export function navigate(path: string): void {
  if (path === location.pathname + location.search) return;
  history.pushState(null, "", path);
  for (const listener of listeners) listener();
}

export function useRoute(): Route {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    listeners.add(update);
    addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      removeEventListener("popstate", update);
    };
  }, []);
  return parseRoute(path);
}

export function Link({ href, children, class: className, ...rest }: { href: string; children: ComponentChildren; class?: string; "aria-current"?: "page" | undefined }) {
  const onClick = (event: MouseEvent) => {
    // Let the browser handle new tabs and windows.
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
    window.scrollTo(0, 0);
  };
  return (
    <a href={href} class={className} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
