/** A small Server-Sent Events reader for tests: frames as the browser's EventSource would see them. */

export interface SseFrame {
  id?: string;
  event: string;
  data: unknown;
}

/** Parse complete frames from text; comment-only frames (heartbeats) come back apart, as their text. */
export function parseSseFrames(text: string): { frames: SseFrame[]; comments: string[]; rest: string } {
  const frames: SseFrame[] = [];
  const comments: string[] = [];
  const blocks = text.split("\n\n");
  const rest = blocks.pop() ?? "";
  for (const block of blocks) {
    let id: string | undefined;
    let event = "message";
    const data: string[] = [];
    let fields = 0;
    const notes: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) {
        notes.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(":");
      const name = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      fields++;
      if (name === "id") id = value;
      else if (name === "event") event = value;
      else if (name === "data") data.push(value);
    }
    if (fields === 0) {
      comments.push(...notes);
      continue;
    }
    frames.push({ ...(id !== undefined ? { id } : {}), event, data: data.length > 0 ? (JSON.parse(data.join("\n")) as unknown) : undefined });
  }
  return { frames, comments, rest };
}

export interface SseClient {
  status: number;
  headers: Headers;
  /** The next frame, or undefined once the server ended the stream. */
  next(): Promise<SseFrame | undefined>;
  /** Comments (heartbeats) seen so far. */
  comments(): string[];
  /** Drop the connection, as a closed browser tab does. */
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string>): Promise<SseClient> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { Accept: "text/event-stream", ...headers }, signal: abort.signal });
  const body = response.body;
  if (!body) throw new Error("the response has no body");
  const reader = body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const decoder = new TextDecoder();
  const queue: SseFrame[] = [];
  let buffer = "";
  const comments: string[] = [];
  let ended = false;
  return {
    status: response.status,
    headers: response.headers,
    comments: () => comments,
    async next() {
      while (queue.length === 0 && !ended) {
        const chunk = await reader.read();
        if (chunk.done) {
          ended = true;
          break;
        }
        buffer += decoder.decode(chunk.value, { stream: true });
        const parsed = parseSseFrames(buffer);
        buffer = parsed.rest;
        comments.push(...parsed.comments);
        queue.push(...parsed.frames);
      }
      return queue.shift();
    },
    close() {
      abort.abort();
    },
  };
}
