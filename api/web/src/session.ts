/**
 * The API key lives in sessionStorage: it survives a reload of this tab, goes when the tab closes,
 * and never appears in a URL (so not in history, logs or a Referer).
 */
const STORAGE_KEY = "event-planner.api-key";

export function storedKey(): string | undefined {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function storeKey(key: string | undefined): void {
  try {
    if (key === undefined) sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // Storage refused (private mode quotas): the key lasts as long as the page.
  }
}
