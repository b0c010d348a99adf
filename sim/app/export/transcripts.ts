import type { EventOf } from "../../core/events.js";
import type { RunData } from "./run-data.js";

export interface ChatMessage {
  role: string;
  content: string;
}

/** One line: the OpenAI chat format's `messages`, and where the call came from. */
export interface TranscriptLine {
  messages: ChatMessage[];
  metadata: Record<string, unknown>;
}

export interface Transcripts {
  lines: TranscriptLine[];
  /** llm-call events in the run, and those that recorded no messages (llm.transcripts off). */
  calls: number;
  withoutMessages: number;
}

/**
 * A line per `llm-call` event that recorded its messages: the prompt's messages, then the answer as
 * the assistant's message, the shape of OpenAI's chat fine-tuning files and of most evaluation
 * tools. A call that gave no answer (its prompt did not fit) has no assistant message; its
 * `metadata.failure` says why. `metadata` holds the event's own fields under their names in
 * events.jsonl (docs/run-directory.md), with the time coordinates (`generation`, the scenario's
 * `game`, `round`...) flattened in.
 */
export function transcripts(run: RunData): Transcripts {
  const calls = run.events.filter((e): e is EventOf<"llm-call"> => e.type === "llm-call");
  const lines = calls
    .filter((e) => e.messages !== undefined)
    .map(({ messages, response, v: _v, type: _type, t, ...call }) => {
      const answered = call.failure === undefined && typeof response === "string";
      return {
        messages: [
          ...messages!.map(({ role, content }) => ({ role, content })),
          ...(answered ? [{ role: "assistant", content: response }] : []),
        ],
        metadata: { runId: run.manifest.runId, ...t, ...call },
      };
    });
  return { lines, calls: calls.length, withoutMessages: calls.length - lines.length };
}
