import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Api } from "./api";

export const ApiContext = createContext<Api | undefined>(undefined);

/** The signed-in API client; pages render only inside a signed-in app. */
export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error("useApi outside a signed-in app");
  return api;
}

/** Pages that show approvals listen for this, so a decision anywhere updates the count and the cards. */
export const APPROVALS_CHANGED = "event-planner:approvals-changed";

export function announceApprovalsChanged(): void {
  dispatchEvent(new Event(APPROVALS_CHANGED));
}
