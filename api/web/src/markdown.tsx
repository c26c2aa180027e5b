/**
 * Markdown from the agent (and sandbox documents), rendered with marked and sanitised with DOMPurify
 * before it reaches the DOM: the text may quote vendors and guests, so it is never trusted as HTML.
 */
import DOMPurify from "dompurify";
import { marked } from "marked";

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  // Links leave the app in a new tab without handing it a window reference.
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
});

export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false, gfm: true, breaks: false });
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true } });
}

export function Markdown({ text, class: className }: { text: string; class?: string }) {
  return <div class={`markdown ${className ?? ""}`} dangerouslySetInnerHTML={{ __html: renderMarkdown(text) }} />;
}
