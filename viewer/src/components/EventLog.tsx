/**
 * The event log and transcript: the newest events of the bounded log ring (the last 5,000 events
 * up to the viewed seq; scrub back for older ones), filtered by agent, type and generation, at most
 * MAX_ROWS rendered.
 */
import { useMemo, useState } from "react";
import { describeEvent, eventTypeLabel } from "../describe.js";
import { fmtTime, truncate } from "../format.js";
import { viewFor } from "../scenarios/index.js";
import type { ScenarioView } from "../scenarios/types.js";
import { filterLog, matchesFilter } from "../state/selectors.js";
import type { AgoraEvent } from "../state/types.js";
import { selectAgent, setLogFilter, useViewer } from "../store.js";
import { MindBadge, Panel, PromptMessages } from "./common.js";

const MAX_ROWS = 50;
const BASE_TYPES = [
  "run-started",
  "agent-created",
  "llm-call",
  "parse-failure",
  "metric",
  "generation-ended",
  "run-ended",
  "warning",
];
const TRANSCRIPT_TYPES = new Set(["llm-call", "parse-failure", "interaction"]);

export function EventLog() {
  const view = useViewer((s) => s.shown);
  const filter = useViewer((s) => s.logFilter);
  const [tab, setTab] = useState<"events" | "transcript">("events");
  const scenarioView = viewFor(view.run?.scenario);
  const kinds = Object.keys(view.interactionCounts).sort();
  const rows = useMemo(() => {
    if (tab === "events") return filterLog(view.log, filter, MAX_ROWS);
    const out: AgoraEvent[] = [];
    for (let i = view.log.length - 1; i >= 0 && out.length < MAX_ROWS; i--) {
      const e = view.log[i]!;
      if (!TRANSCRIPT_TYPES.has(e.type)) continue;
      if (
        e.type === "interaction" &&
        typeof e.data.justification !== "string" &&
        !scenarioView.strategyRevision?.(e)
      )
        continue;
      if (matchesFilter(e, filter)) out.push(e);
    }
    return out;
  }, [view.log, filter, tab, scenarioView]);

  return (
    <Panel
      title="Event log"
      testId="event-log"
      className="log-panel"
      actions={
        <div className="tabs" role="tablist">
          <button
            type="button"
            role="tab"
            aria-selected={tab === "events"}
            data-testid="log-tab-events"
            className={tab === "events" ? "active" : ""}
            onClick={() => setTab("events")}
          >
            Events
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={tab === "transcript"}
            data-testid="log-tab-transcript"
            className={tab === "transcript" ? "active" : ""}
            onClick={() => setTab("transcript")}
          >
            Transcript
          </button>
        </div>
      }
    >
      <div className="filters">
        <label>
          agent
          <input
            data-testid="filter-agent"
            placeholder="e.g. g2-a3"
            value={filter.agent}
            onChange={(e) => setLogFilter({ agent: e.target.value })}
          />
        </label>
        <label>
          type
          <select
            data-testid="filter-type"
            value={filter.type}
            onChange={(e) => setLogFilter({ type: e.target.value })}
          >
            <option value="">any</option>
            {kinds.map((k) => (
              <option key={k} value={`interaction:${k}`}>
                interaction: {k}
              </option>
            ))}
            <option value="interaction">interaction (any)</option>
            {BASE_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          generation
          <input
            data-testid="filter-generation"
            inputMode="numeric"
            placeholder="any"
            size={5}
            value={filter.generation}
            onChange={(e) => setLogFilter({ generation: e.target.value })}
          />
        </label>
        <span className="muted small" data-testid="log-count">
          {rows.length === MAX_ROWS ? `newest ${MAX_ROWS}` : rows.length} matching of the last{" "}
          {view.log.length.toLocaleString("en-US")} events
        </span>
      </div>
      <div className="log-rows" data-testid="log-rows">
        {rows.length === 0 ? <div className="muted">No matching events.</div> : null}
        {tab === "events"
          ? rows.map((e) => (
              <div
                key={e.seq}
                className={`log-row type-${e.type}`}
                data-testid="log-row"
                data-seq={e.seq}
                data-type={e.type}
              >
                <span className="seq">#{e.seq}</span>
                <span className="when">{fmtTime(e.t, view.run?.time)}</span>
                <span className={`etype etype-${e.type}`}>{eventTypeLabel(e)}</span>
                {e.type === "interaction" ? <MindBadge mind={e.mind} /> : null}
                <span className="summary">{describeEvent(e, scenarioView)}</span>
              </div>
            ))
          : rows.map((e) => <TranscriptRow key={e.seq} event={e} scenarioView={scenarioView} />)}
      </div>
    </Panel>
  );
}

function TranscriptRow({ event, scenarioView }: { event: AgoraEvent; scenarioView: ScenarioView }) {
  const time = useViewer((s) => s.view.run?.time);
  const agentId =
    event.type === "interaction"
      ? event.from
      : event.type === "llm-call" || event.type === "parse-failure"
        ? event.agentId
        : "";
  const head = (
    <div className="muted">
      #{event.seq} {fmtTime(event.t, time)} ·{" "}
      <button type="button" className="link" onClick={() => selectAgent(agentId)}>
        {agentId}
      </button>{" "}
      · {eventTypeLabel(event)}
    </div>
  );
  if (event.type === "llm-call") {
    const prompt = event.messages ?? [];
    return (
      <div
        className="transcript-item"
        data-testid="transcript-row"
        data-seq={event.seq}
        data-kind="llm"
      >
        {head}
        <span className="badge badge-llm">LLM · {event.model}</span>{" "}
        <span className="muted">{event.purpose}</span>
        {prompt.length > 0 ? <PromptMessages messages={prompt} /> : null}
        <div className="message role-assistant">
          <span className="role">answer</span>
          <pre>{event.response ?? "(transcripts off: not recorded)"}</pre>
        </div>
      </div>
    );
  }
  if (event.type === "parse-failure") {
    return (
      <div
        className="transcript-item parse-failure"
        data-testid="transcript-row"
        data-seq={event.seq}
        data-kind="parse-failure"
      >
        {head}
        <span className="badge badge-warn">unusable answer</span> {event.reason}
        <pre>{truncate(event.answer, 2000)}</pre>
      </div>
    );
  }
  if (event.type === "interaction") {
    // A strategy revision (the view says which interactions are) shows the new strategy.
    const revision = scenarioView.strategyRevision?.(event);
    const text = revision ? (revision.strategy ?? "") : String(event.data.justification ?? "");
    return (
      <div
        className="transcript-item"
        data-testid="transcript-row"
        data-seq={event.seq}
        data-kind={event.mind.kind}
      >
        {head}
        <MindBadge mind={event.mind} />{" "}
        {event.mind.kind === "policy" ? (
          <span className="muted small">
            justification line of an offline policy (not LLM output):{" "}
          </span>
        ) : null}
        <span>{text || <i className="muted">no justification</i>}</span>
      </div>
    );
  }
  return null;
}
