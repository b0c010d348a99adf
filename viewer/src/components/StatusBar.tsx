import type { ReactNode } from "react";
import { useViewer } from "../store.js";

/**
 * Connection state: connecting, connected, or disconnected and reconnecting (resuming from the last
 * seq).
 */
export function ConnectionBadge() {
  const connection = useViewer((s) => s.connection);
  const error = useViewer((s) => s.connectionError);
  const nextSeq = useViewer((s) => s.head.nextSeq);
  const reconnects = useViewer((s) => s.reconnects);
  const text =
    connection === "connected"
      ? "connected"
      : connection === "connecting"
        ? "connecting…"
        : connection === "reconnecting"
          ? `disconnected — reconnecting (will resume from seq ${nextSeq})`
          : `disconnected${error ? `: ${error}` : ""}`;
  return (
    <span
      className={`connection connection-${connection}`}
      data-testid="connection-status"
      data-state={connection}
      data-reconnects={reconnects}
      title={error ?? ""}
    >
      <span className="dot" />
      {text}
    </span>
  );
}

/**
 * The selected run's state: waiting, running, finished, failed (with its error), or the server's
 * refusal.
 */
export function RunStatus() {
  const selected = useViewer((s) => s.selectedRunId);
  const subscription = useViewer((s) => s.subscription);
  const head = useViewer((s) => s.head);
  const runState = useViewer((s) => s.runState);
  const scrubSeq = useViewer((s) => s.scrubSeq);
  const viewGeneration = useViewer((s) => s.view.generation);
  if (selected === null) return null;
  if (subscription.status === "error") {
    return (
      <div className="banner banner-error" data-testid="subscribe-error">
        The server could not open run <b>{selected}</b>: {subscription.error}
      </div>
    );
  }
  const phase = head.phase;
  let body: ReactNode;
  let kind = "info";
  if (phase === "waiting")
    body =
      subscription.status === "subscribing"
        ? "Subscribing…"
        : "Waiting for the run's first events…";
  else if (phase === "running") {
    const paused = runState?.paused ? " — paused" : "";
    const where = `generation ${head.generation}${head.t.round !== undefined ? `, round ${head.t.round}` : ""}`;
    if (runState && !runState.live) {
      kind = "warn";
      body = `Recorded run without an end (status ${runState.status}): its events stop at ${where}.`;
    } else body = `Running: ${where}${paused}`;
  } else if (phase === "completed") {
    kind = "ok";
    body = `Run finished (completed) after ${head.generationEnds.length} generation(s).`;
  } else if (phase === "failed") {
    kind = "error";
    body = (
      <>
        Run failed: <span data-testid="run-error">{head.error ?? "no error message"}</span>
      </>
    );
  } else if (phase === "budget-exhausted") {
    kind = "warn";
    body = `Run stopped: budget exhausted${head.error ? ` — ${head.error}` : ""}.`;
  } else {
    kind = "warn";
    body = `Run interrupted${head.error ? `: ${head.error}` : ""} (it can be resumed with agora resume).`;
  }
  return (
    <div className={`banner banner-${kind}`} data-testid="run-status" data-phase={phase}>
      {body}
      {scrubSeq !== null ? (
        <span className="muted">
          {" "}
          — showing the society as it was at seq {scrubSeq} (generation {viewGeneration}).
        </span>
      ) : null}
    </div>
  );
}
