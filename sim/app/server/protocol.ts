/**
 * The contract between the Agora server and the browser viewer (also in the README, "Live viewer").
 *
 * HTTP (same origin as the viewer):
 * - `GET /` and static files: the built viewer (`viewer/dist/`); without `viewer/dist/index.html`,
 * `GET /` answers 503 with a page saying to run `npm run build:viewer`. Static files need no token.
 * - `GET /api/runs` → `RunSummary[]` (JSON), newest first. Unknown `/api/...` paths → 404 JSON
 *   `{ error }`. With a token set, every `/api` request must carry it (`?token=T` or
 *   `Authorization: Bearer T`), else 401 JSON `{ error }`.
 *
 * socket.io (same port, default path `/socket.io/`); with a token set the handshake must carry
 * `auth: { token }`, else the connection is refused (`connect_error` with an "unauthorized"
 * message).
 *
 * Client → server (each with an ack callback; a message without one is still validated and obeyed
 * when valid, and simply gets no answer):
 * - `subscribe` `SubscribeRequest` → ack `SubscribeAck`. On success the server sends a `run-state`,
 *   then `events` messages: arrays of AgoraEvent in `seq` order starting at `fromSeq` (default 0),
 *   history from `events.jsonl` first, then live events, with no gap and no duplicate. A socket has
 *   one subscription; a new valid `subscribe` replaces it (events that arrive before its ack belong
 *   to the previous subscription). An invalid one changes nothing.
 * - `control` `ControlRequest` → ack `ControlAck`. Only for the live run while it is running.
 *
 * Server → client:
 * - `events` `AgoraEvent[]`: a batch (live events are coalesced, at most one batch per ~50 ms).
 * - `run-state` `RunState`: right after a subscribe, and whenever it changes (pause, resume, speed,
 *   generation, status).
 *
 * Client messages are never trusted: they are parsed with the strict schemas below (extra keys,
 * wrong types, negative numbers, speeds out of bounds are errors) and anything invalid gets
 * `{ ok: false, error }` and changes nothing.
 */
import { z } from "zod";
import { SPEED_RANGE, speedProblem } from "./speed.js";
import type { AgoraEvent, RunStatus } from "../../core/events.js";

/**
 * A run id is the name of a run directory, never a path: not empty, no "..", "/", "\\" or NUL,
 * no drive letter (so nothing absolute). (No Node imports here: the viewer may share this file.)
 */
export function isSafeRunId(id: string): boolean {
  return (
    id.length > 0 &&
    id.length <= 255 &&
    id !== "." &&
    !id.includes("..") &&
    !id.includes("/") &&
    !id.includes("\\") &&
    !id.includes("\0") &&
    !/^[a-zA-Z]:/.test(id)
  );
}

export const RunIdSchema = z.string().refine(isSafeRunId, {
  message: "runId must be a run directory name (no '..', '/', '\\', not empty, not absolute)",
});

export const SubscribeSchema = z.strictObject({
  runId: RunIdSchema,
  fromSeq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});

export const CONTROL_ACTIONS = ["pause", "resume", "step", "speed"] as const;

// Importers of the speed bounds alone (the CLI) use speed.js, which does not load zod.
export { MAX_SPEED, MIN_SPEED, SPEED_RANGE, speedProblem } from "./speed.js";

export const ControlSchema = z
  .strictObject({
    runId: RunIdSchema,
    action: z.enum(CONTROL_ACTIONS),
    value: z
      .number()
      .refine((speed) => speedProblem(speed) === undefined, `expected ${SPEED_RANGE}`)
      .optional(),
  })
  .superRefine((msg, ctx) => {
    if (msg.action === "speed" && msg.value === undefined)
      ctx.addIssue({
        code: "custom",
        message: `speed needs a value (${SPEED_RANGE})`,
        path: ["value"],
      });
    if (msg.action !== "speed" && msg.value !== undefined)
      ctx.addIssue({ code: "custom", message: `${msg.action} takes no value`, path: ["value"] });
  });

export type SubscribeRequest = z.infer<typeof SubscribeSchema>;
export type ControlRequest = z.infer<typeof ControlSchema>;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

/** One row of `GET /api/runs`. */
export interface RunSummary {
  /** The run directory's name: what `subscribe` takes. */
  id: string;
  scenario: string;
  status: RunStatus;
  /** Recorded runs: generations completed; the live run: the engine's current generation. */
  generation: number;
  /** True for the run this server process executes (controls apply while it is running). */
  live: boolean;
  startedAt: string | null;
  endedAt: string | null;
}

export interface ControlState {
  paused: boolean;
  /** Max engine steps per second; 0 = unlimited. */
  speed: number;
}

export interface RunState extends ControlState {
  runId: string;
  live: boolean;
  status: RunStatus;
  generation: number;
}

export type ErrorAck = { ok: false; error: string };
export type SubscribeAck = { ok: true; runId: string; live: boolean; status: RunStatus } | ErrorAck;
export type ControlAck = { ok: true; state: ControlState } | ErrorAck;

export interface ServerToClientEvents {
  events: (batch: AgoraEvent[]) => void;
  "run-state": (state: RunState) => void;
}

export interface ClientToServerEvents {
  subscribe: (request: SubscribeRequest, ack: (answer: SubscribeAck) => void) => void;
  control: (request: ControlRequest, ack: (answer: ControlAck) => void) => void;
}

/** The first problem of a failed parse, as one line. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid message";
  const path = issue.path.length ? `${issue.path.join(".")}: ` : "";
  return `${path}${issue.message}`;
}
