/** One-line summaries of events for the log (pure). */
import { fmtNumber, fmtParams, truncate } from "./format.js";
import type { ScenarioView } from "./scenarios/types.js";
import type { AgoraEvent } from "./state/types.js";

export function describeEvent(event: AgoraEvent, view: ScenarioView): string {
  switch (event.type) {
    case "run-started":
      return `run ${event.runId} started: ${event.scenario}, seed ${event.seed}, ${event.graph.nodes.length} slots, Agora ${event.agoraVersion}`;
    case "agent-created": {
      const a = event.agent;
      const mind =
        a.mind.kind === "policy"
          ? `policy ${a.mind.name}${a.mind.params ? ` (${fmtParams(a.mind.params)})` : ""}`
          : `LLM ${a.mind.name}${a.mind.model ? ` / ${a.mind.model}` : ""}`;
      const parents =
        a.parents.length === 0
          ? ""
          : a.parents.length > 3
            ? ` · parents: ${a.parents.length} survivors`
            : ` · parents: ${a.parents.join(", ")}`;
      return `${a.id} born in slot ${a.slot} · ${mind}${parents}${a.strategy ? ` · “${truncate(a.strategy, 90)}”` : ""}`;
    }
    case "interaction": {
      const entry = {
        seq: event.seq,
        at: event.at,
        kind: event.kind,
        from: event.from,
        to: event.to,
        mind: event.mind,
        t: event.t,
        data: event.data,
      };
      return `${event.from} ${view.describeInteraction(entry)}`;
    }
    case "llm-call":
      return `${event.agentId} ${event.purpose} · ${event.model} · ${event.tokensIn}+${event.tokensOut} tokens${event.cost !== null ? ` · $${event.cost.toFixed(5)}` : ""}${event.cached ? " · cached" : ""}${event.finishReason === "length" ? " · cut at maxTokens" : ""}${event.failure ? " · no answer: context exceeded" : ""} · ${event.latencyMs} ms`;
    case "parse-failure":
      return `${event.agentId} ${event.purpose} attempt ${event.attempt}: ${event.reason}`;
    case "metric":
      return `${event.scope} metrics: ${Object.entries(event.values)
        .map(([k, v]) => `${k}=${fmtNumber(v, 3)}`)
        .join(" ")}`;
    case "generation-ended":
      return `generation ${event.t.generation} ended: ${event.survivors.length} survivors, ${event.removed.length} removed, ${event.created.length} to be born`;
    case "run-ended":
      return `run ended: ${event.status}${event.error ? ` — ${event.error}` : ""}`;
    case "warning":
      return `warning: ${event.message}`;
    default:
      return JSON.stringify(event).slice(0, 200);
  }
}

/** The type label of an event, with an interaction's kind. */
export function eventTypeLabel(event: AgoraEvent): string {
  return event.type === "interaction"
    ? event.kind
    : event.type === "metric"
      ? `metric/${event.scope}`
      : event.type;
}
