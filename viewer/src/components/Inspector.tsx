/**
 * The agent inspector: strategy, reasoning, lineage, mind, the scenario's fields and scores,
 * recent interactions and recent prompts and answers. Policy minds are labelled as offline
 * policies, and what is shown for them is their justification lines, never presented as model
 * output. With no agent selected: the current agents as a clickable table (agent, mind, family and
 * the scenario's agent measures as columns).
 */
import { useState } from "react";
import { describeMind, fmtNumber, fmtPct, fmtTime, truncate } from "../format.js";
import { viewFor } from "../scenarios/index.js";
import { columnMeasures, fmtMeasure, measuresOf } from "../scenarios/measures.js";
import type { ScenarioView } from "../scenarios/types.js";
import { currentAgents } from "../state/selectors.js";
import type { AgentState, InteractionEntry, TranscriptEntry, ViewerState } from "../state/types.js";
import { selectAgent, useViewer } from "../store.js";
import { MindBadge, Panel, PromptMessages } from "./common.js";

export function Inspector() {
  const view = useViewer((s) => s.shown);
  const selectedId = useViewer((s) => s.selectedAgentId);
  const scenarioView = viewFor(view.run?.scenario);
  const agent = selectedId !== null ? view.agents[selectedId] : undefined;
  return (
    <Panel
      title={selectedId === null ? "Agents" : `Agent ${selectedId}`}
      testId="inspector"
      className="inspector"
      actions={
        selectedId !== null ? (
          <button type="button" data-testid="inspector-close" onClick={() => selectAgent(null)}>
            all agents
          </button>
        ) : null
      }
    >
      {selectedId === null ? (
        <AgentTable view={view} scenarioView={scenarioView} />
      ) : agent ? (
        <AgentDetails agent={agent} view={view} scenarioView={scenarioView} />
      ) : (
        <div className="muted" data-testid="inspector-missing">
          Agent {selectedId} does not exist at this point of the run (not born yet, or dropped from
          the viewer's memory).
        </div>
      )}
    </Panel>
  );
}

/** Rows rendered at most: re-rendering a thousand rows per update starves the graph and charts. */
const MAX_AGENT_ROWS = 50;

function AgentTable({ view, scenarioView }: { view: ViewerState; scenarioView: ScenarioView }) {
  const all = currentAgents(view);
  if (all.length === 0) return <div className="muted">No agents yet.</div>;
  const agents = all.slice(0, MAX_AGENT_ROWS);
  const columns = columnMeasures(measuresOf(scenarioView, view));
  return (
    <div className="agent-table-wrap">
      <p className="muted small">
        Click an agent (here or on the graph) to inspect it.
        {all.length > agents.length
          ? ` Showing the first ${agents.length} of ${all.length}; the graph shows them all.`
          : ""}
      </p>
      <table className="agent-table" data-testid="agent-table">
        <thead>
          <tr>
            <th data-column="agent">agent</th>
            <th data-column="mind">mind</th>
            <th data-column="family">family</th>
            {columns.map(({ measure, header }) => (
              <th key={measure.id} className="num" data-column={measure.id}>
                {header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {agents.map((a) => (
            <tr
              key={a.id}
              data-testid={`agent-row-${a.id}`}
              onClick={() => selectAgent(a.id)}
              className="clickable"
            >
              <td>
                <b>{a.id}</b>
                {a.generation > 1 && a.generation === view.generation ? (
                  <span className="badge badge-new">new</span>
                ) : null}
              </td>
              <td title={describeMind(a.mind)}>
                <MindBadge mind={a.mind} />{" "}
                <span className="muted">{a.mind ? truncate(a.mind.name, 16) : ""}</span>
              </td>
              <td>{scenarioView.strategyFamily(a)}</td>
              {columns.map(({ measure }) => (
                <td key={measure.id} className="num">
                  {fmtMeasure(measure, measure.value(a, view), true)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AgentLink({ id, view }: { id: string; view: ViewerState }) {
  const known = view.agents[id] !== undefined;
  return (
    <button
      type="button"
      className="link"
      data-testid={`lineage-link-${id}`}
      disabled={!known}
      title={known ? "inspect" : "no longer in the viewer's memory"}
      onClick={() => selectAgent(id)}
    >
      {id}
    </button>
  );
}

function AgentDetails({
  agent,
  view,
  scenarioView,
}: {
  agent: AgentState;
  view: ViewerState;
  scenarioView: ScenarioView;
}) {
  const inSlot = agent.slot !== null && view.slotAgent[agent.slot] === agent.id;
  const policy = agent.mind?.kind === "policy";
  const scores = Object.entries(agent.scores)
    .map(([g, s]) => [Number(g), s] as const)
    .sort((a, b) => a[0] - b[0]);
  const fields = scenarioView.inspectorFields?.(agent, view) ?? [];
  const scoring = scenarioView.scores;
  const fmtScore = scoring?.format === "percent" ? fmtPct : fmtNumber;
  return (
    <div className="agent-details" data-testid="agent-details" data-agent={agent.id}>
      <div
        className="field"
        data-testid="inspector-mind"
        data-mind-kind={agent.mind?.kind ?? "unknown"}
      >
        <MindBadge mind={agent.mind} /> {describeMind(agent.mind)}
      </div>
      <div className="field muted" data-testid="inspector-status">
        {agent.role ? (
          <span data-testid="inspector-role">
            {agent.role}
            {agent.slot !== null && !view.slots.includes(agent.slot) ? " (off the graph)" : ""}{" "}
            ·{" "}
          </span>
        ) : null}
        born in generation {agent.generation || "?"} · slot {agent.slot ?? "?"} ·{" "}
        {inSlot
          ? agent.removedAfter !== null
            ? `removed after generation ${agent.removedAfter} (still in its slot until replaced)`
            : "alive"
          : agent.removedAfter !== null
            ? `removed after generation ${agent.removedAfter}`
            : "not in a slot"}
        {agent.revisions > 0 ? ` · revised its strategy ${agent.revisions} time(s)` : ""}
      </div>
      {fields.map((f) => (
        <div key={f.id} className="field" data-testid={`inspector-field-${f.id}`}>
          <span className="muted">{f.label}: </span>
          {f.value}
          {f.detail ? <span className="muted"> {f.detail}</span> : null}
        </div>
      ))}

      <h3>Strategy</h3>
      <blockquote data-testid="inspector-strategy">
        {agent.strategy ?? (
          <i>
            {agent.strategyUnusable
              ? `no usable strategy: ${agent.strategyUnusable}`
              : "not written yet"}
          </i>
        )}
      </blockquote>
      {agent.reasoning ? (
        <>
          <h3>Reasoning{policy ? " (policy description)" : ""}</h3>
          <blockquote className="reasoning" data-testid="inspector-reasoning">
            {agent.reasoning}
          </blockquote>
        </>
      ) : null}

      <h3>Lineage</h3>
      <div className="field" data-testid="inspector-lineage">
        <div>
          parents:{" "}
          {agent.parents.length === 0 ? (
            <span className="muted">none (first generation)</span>
          ) : (
            agent.parents.map((p) => <AgentLink key={p} id={p} view={view} />)
          )}
        </div>
        <div>
          children:{" "}
          {agent.children.length === 0 ? (
            <span className="muted">none yet</span>
          ) : (
            agent.children.map((c) => <AgentLink key={c} id={c} view={view} />)
          )}
        </div>
      </div>

      {scoring ? (
        <>
          <h3>{scoring.title}</h3>
          {scores.length === 0 ? (
            <div className="muted">not scored yet</div>
          ) : (
            <table className="scores" data-testid="inspector-scores">
              <tbody>
                <tr>
                  <th>generation</th>
                  {scores.map(([g]) => (
                    <td key={g}>{g}</td>
                  ))}
                </tr>
                <tr>
                  <th>{scoring.label}</th>
                  {scores.map(([g, s]) => (
                    <td key={g}>{fmtScore(s)}</td>
                  ))}
                </tr>
              </tbody>
            </table>
          )}
        </>
      ) : null}

      <div className="two-col">
        <div>
          <h3>Recent actions</h3>
          <InteractionList
            entries={agent.given}
            scenarioView={scenarioView}
            testId="inspector-given"
          />
        </div>
        <div>
          <h3>Recently received</h3>
          <InteractionList
            entries={agent.received}
            scenarioView={scenarioView}
            testId="inspector-received"
            received
          />
        </div>
      </div>

      <h3>
        {policy
          ? "Decisions (policy justification lines, not LLM output)"
          : "Recent prompts and answers"}
      </h3>
      {policy ? (
        <div data-testid="inspector-transcript" data-kind="policy">
          <p className="muted small">
            A policy mind is an offline program: it makes no LLM calls. These are the justification
            lines its decisions came with.
          </p>
          <ul className="justifications">
            {[...agent.given]
              .reverse()
              .filter(
                (e) => typeof e.data.justification === "string" && e.data.justification !== "",
              )
              .map((e) => (
                <li key={e.seq}>
                  <span className="muted">
                    #{e.seq} {fmtTime(e.t, view.run?.time)} → {e.to ?? ""}:
                  </span>{" "}
                  {String(e.data.justification)}
                </li>
              ))}
          </ul>
        </div>
      ) : (
        <Transcript entries={agent.transcript} />
      )}
    </div>
  );
}

const SHORT_LIST = 6;

function InteractionList({
  entries,
  scenarioView,
  testId,
  received,
}: {
  entries: InteractionEntry[];
  scenarioView: ScenarioView;
  testId: string;
  received?: boolean;
}) {
  const time = useViewer((s) => s.view.run?.time);
  const [all, setAll] = useState(false);
  if (entries.length === 0)
    return (
      <div className="muted" data-testid={testId}>
        none yet
      </div>
    );
  const shown = [...entries].reverse().slice(0, all ? entries.length : SHORT_LIST);
  return (
    <>
      <ul className="interactions" data-testid={testId}>
        {shown.map((e) => (
          <li key={e.seq}>
            <span className="muted">{fmtTime(e.t, time)}</span>{" "}
            {scenarioView.describeInteraction(e, received ? "to" : "from")}
            {e.data.fallback === true ? (
              <span
                className="badge badge-warn"
                title="No usable answer: the scenario's fallback decision"
              >
                fallback
              </span>
            ) : null}
          </li>
        ))}
      </ul>
      {entries.length > SHORT_LIST ? (
        <button type="button" className="link" onClick={() => setAll(!all)}>
          {all ? "fewer" : `all ${entries.length} recent`}
        </button>
      ) : null}
    </>
  );
}

export function Transcript({ entries }: { entries: TranscriptEntry[] }) {
  if (entries.length === 0)
    return (
      <div className="muted" data-testid="inspector-transcript" data-kind="llm">
        No LLM calls recorded for this agent yet{" "}
        <span className="small">(transcripts need llm.transcripts: true in the config)</span>.
      </div>
    );
  return (
    <div className="transcript" data-testid="inspector-transcript" data-kind="llm">
      {[...entries].reverse().map((e) => (
        <TranscriptItem key={e.seq} entry={e} />
      ))}
    </div>
  );
}

export function TranscriptItem({ entry }: { entry: TranscriptEntry }) {
  const time = useViewer((s) => s.view.run?.time);
  if (entry.type === "parse-failure") {
    return (
      <div className="transcript-item parse-failure" data-testid="transcript-item">
        <div className="muted">
          #{entry.seq} {fmtTime(entry.t, time)} · {entry.purpose} ·{" "}
          <span className="badge badge-warn">unusable answer</span> {entry.reason}
        </div>
        {entry.response ? <pre>{truncate(entry.response, 2000)}</pre> : null}
      </div>
    );
  }
  const prompt = entry.messages ?? [];
  return (
    <div className="transcript-item" data-testid="transcript-item">
      <div className="muted">
        #{entry.seq} {fmtTime(entry.t, time)} · {entry.purpose} ·{" "}
        <span className="badge badge-llm">LLM · {entry.model}</span> · {entry.tokensIn}+
        {entry.tokensOut} tokens
        {entry.cached ? " · cached" : ""}
        {entry.cost !== null && entry.cost !== undefined ? ` · $${entry.cost.toFixed(5)}` : ""}
        {entry.finishReason === "length" ? (
          <span className="badge badge-warn"> cut at maxTokens</span>
        ) : null}
        {entry.failure ? (
          <span className="badge badge-warn"> no answer: {entry.failure}</span>
        ) : null}
      </div>
      {prompt.length > 0 ? (
        <PromptMessages messages={prompt} />
      ) : (
        <div className="muted small">prompt not recorded</div>
      )}
      <div className="message role-assistant">
        <span className="role">answer</span>
        <pre>{entry.response ?? "(not recorded)"}</pre>
      </div>
    </div>
  );
}
