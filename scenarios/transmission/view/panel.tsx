/**
 * The transmission panel (discovered by the viewer: scenarios/<id>/view/panel.tsx, drawn below the
 * graph row of transmission runs): the between-generation similarity heatmap, a text inspector (an
 * agent's
 * text in a generation and a word diff against its likely parent), and for chains one lane per
 * chain. The inspected agent follows the graph selection; lane steps pick agent and generation.
 */
import { useMemo, useState } from "react";
import { truncate, type ViewerState } from "../../../viewer/src/scenarios/api.js";
import { ExpandableText, Panel, selectAgent, useViewer } from "../../../viewer/src/scenarios/ui.js";
import {
  chainLanes,
  parentOf,
  similarityColor,
  similarityMatrix,
  textOf,
  textsOfAgent,
  transmissionState,
  wordDiff,
  type TextEntry,
  type TransmissionDerived,
} from "../view.js";
import "./transmission.css";

/** Diff pieces rendered at most (the rest is summarised). */
const MAX_DIFF_PARTS = 1500;
const HEATMAP_WINDOW = 40;

interface Pick {
  agent: string;
  generation: number;
  chain: number | null;
}

export function TransmissionPanel() {
  // The store's panel clock (at most every 250 ms), shared with the other heavy panels.
  const view = useViewer((s) => s.shown);
  const selected = useViewer((s) => s.selectedAgentId);
  const d = transmissionState(view);
  const [pick, setPick] = useState<Pick | null>(null);
  const lanes = useMemo(() => chainLanes(d), [d]);

  const onPick = (t: TextEntry) => {
    setPick({ agent: t.agentId, generation: t.generation, chain: t.chain });
    selectAgent(t.agentId);
  };
  // The inspected text: a lane pick for the selected agent, else the selected agent's latest, else
  // the newest text.
  const entry = inspected(d, pick, selected);

  return (
    <Panel title="Texts" testId="transmission-panel" className="scenario-panel">
      {d.generations.length === 0 ? (
        <div className="muted" data-testid="transmission-empty">
          No texts yet: they appear as agents write.
        </div>
      ) : (
        <>
          <div className="scenario-layout">
            <TextInspector d={d} entry={entry} onPick={onPick} />
            <div className="scenario-side">
              <Heatmap view={view} />
            </div>
          </div>
          {lanes.lanes.length > 0 ? <Lanes lanes={lanes} current={entry} onPick={onPick} /> : null}
        </>
      )}
    </Panel>
  );
}

function inspected(
  d: TransmissionDerived,
  pick: Pick | null,
  selected: string | null,
): TextEntry | null {
  if (pick && pick.agent === selected) {
    const t = textOf(d, pick.agent, pick.generation, pick.chain);
    if (t) return t;
  }
  if (selected !== null) return d.latest[selected] ?? null;
  const last = d.generations[d.generations.length - 1];
  if (!last) return null;
  let newest: TextEntry | null = null;
  for (const t of Object.values(last.texts)) if (!newest || t.seq > newest.seq) newest = t;
  return newest;
}

function TextInspector({
  d,
  entry,
  onPick,
}: {
  d: TransmissionDerived;
  entry: TextEntry | null;
  onPick: (t: TextEntry) => void;
}) {
  const history = useMemo(() => (entry ? textsOfAgent(d, entry.agentId) : []), [d, entry?.agentId]);
  const parent = entry ? parentOf(d, entry) : null;
  const diff = useMemo(
    () => (entry && parent?.text ? wordDiff(parent.text.text, entry.text) : null),
    [entry, parent?.text],
  );
  if (!entry) {
    return (
      <div className="text-inspector muted" data-testid="tx-inspector">
        Click a node (or a lane step) to read its text.
      </div>
    );
  }
  return (
    <div
      className="text-inspector"
      data-testid="tx-inspector"
      data-agent={entry.agentId}
      data-generation={entry.generation}
    >
      <div className="text-inspector-head">
        <b>{entry.agentId}</b>
        <label>
          generation
          <select
            data-testid="tx-generation-select"
            value={`${entry.generation}:${entry.chain ?? ""}`}
            onChange={(e) => {
              const t = history.find((h) => `${h.generation}:${h.chain ?? ""}` === e.target.value);
              if (t) onPick(t);
            }}
          >
            {history.map((h) => (
              <option key={h.seq} value={`${h.generation}:${h.chain ?? ""}`}>
                {h.generation}
                {h.chain !== null ? ` (chain ${h.chain})` : ""}
              </option>
            ))}
          </select>
        </label>
        {entry.transformation ? <span className="role-chip">{entry.transformation}</span> : null}
        {entry.persona ? (
          <span className="muted small">persona: {truncate(entry.persona, 40)}</span>
        ) : null}
        {entry.group ? <span className="muted small">group {entry.group}</span> : null}
      </div>
      {entry.inputs.length > 0 ? (
        <div className="muted small">
          read:{" "}
          {entry.inputs.length <= 8
            ? entry.inputs.join(", ")
            : `${entry.inputs.slice(0, 8).join(", ")} and ${entry.inputs.length - 8} more`}
        </div>
      ) : null}
      <ExpandableText text={entry.text} limit={800} />
      <h3>Against its likely parent</h3>
      {!parent ? (
        <div className="muted small" data-testid="tx-no-parent">
          {entry.generation <= 1
            ? "A first-generation text has no parent."
            : "No lineage for this text (yet)."}
        </div>
      ) : (
        <div data-testid="tx-parent" data-parent={parent.link.parent}>
          <div className="muted small">
            parent{" "}
            <button
              type="button"
              className="link"
              onClick={() => parent.text && onPick(parent.text)}
              disabled={!parent.text}
            >
              {parent.link.parent}
            </button>{" "}
            (generation {parent.link.parentGeneration}
            {parent.link.similarity !== null
              ? `, similarity ${parent.link.similarity.toFixed(2)}`
              : ""}
            ) · <span className="diff-removed">removed</span>{" "}
            <span className="diff-added">added</span>
          </div>
          {diff ? (
            <DiffView parts={diff.parts} truncated={diff.truncated} />
          ) : (
            <div className="muted small">The parent's text is no longer kept.</div>
          )}
        </div>
      )}
    </div>
  );
}

function DiffView({
  parts,
  truncated,
}: {
  parts: { kind: string; text: string }[];
  truncated: boolean;
}) {
  const shown = parts.slice(0, MAX_DIFF_PARTS);
  return (
    <div
      className="text-block diff"
      data-testid="tx-diff"
      data-added={parts.filter((p) => p.kind === "added").length}
      data-removed={parts.filter((p) => p.kind === "removed").length}
    >
      {shown.map((p, i) =>
        p.kind === "same" ? (
          <span key={i}>{p.text}</span>
        ) : (
          <span key={i} className={`diff-${p.kind}`} data-testid={`tx-diff-${p.kind}`}>
            {p.text}
          </span>
        ),
      )}
      {parts.length > shown.length || truncated ? (
        <div className="muted small">(diff cut: the texts are long)</div>
      ) : null}
    </div>
  );
}

function Heatmap({ view }: { view: ViewerState }) {
  const rows = view.generationMetrics;
  const m = useMemo(() => similarityMatrix(rows, HEATMAP_WINDOW), [rows]);
  const n = m.generations.length;
  if (n === 0) {
    return (
      <div className="chart" data-testid="tx-heatmap" data-size={0}>
        <div className="chart-title">Similarity between generations</div>
        <div className="muted small chart-empty">
          Appears once a generation reports its similarityToGen metrics.
        </div>
      </div>
    );
  }
  const cell = Math.max(6, Math.min(24, Math.floor(320 / n)));
  const range = m.range ?? [0, 1];
  const mid = (range[0] + range[1]) / 2;
  const label = (g: number, i: number) => (n <= 20 || i % 5 === 0 || i === n - 1 ? String(g) : "");
  return (
    <div className="chart" data-testid="tx-heatmap" data-size={n}>
      <div className="chart-title">
        Similarity between generations{" "}
        <span className="muted">
          (TF-IDF cosine{m.hidden > 0 ? `; last ${n} of ${n + m.hidden}` : ""})
        </span>
      </div>
      <div
        className="heatmap"
        style={{ gridTemplateColumns: `28px repeat(${n}, ${cell}px)`, gridAutoRows: `${cell}px` }}
      >
        <span />
        {m.generations.map((g, j) => (
          <span key={`c${g}`} className="heatmap-label">
            {label(g, j)}
          </span>
        ))}
        {m.generations.map((gi, i) => [
          <span key={`r${gi}`} className="heatmap-label">
            {label(gi, i)}
          </span>,
          ...m.generations.map((gj, j) => {
            const v = m.cells[i]![j]!;
            return (
              <span
                key={`${gi}:${gj}`}
                className="heatmap-cell"
                data-testid="tx-heatmap-cell"
                data-row={gi}
                data-col={gj}
                data-value={v === null ? "" : v.toFixed(3)}
                style={{ background: similarityColor(v, range) }}
                title={`generations ${gi} and ${gj}: ${v === null ? "–" : v.toFixed(3)}`}
              />
            );
          }),
        ])}
      </div>
      <div className="heatmap-scale muted small" data-testid="tx-heatmap-scale">
        <span className="swatch" style={{ background: similarityColor(range[0], range) }} />{" "}
        {range[0].toFixed(2)}
        <span className="swatch" style={{ background: similarityColor(mid, range) }} />{" "}
        {mid.toFixed(2)}
        <span className="swatch" style={{ background: similarityColor(range[1], range) }} />{" "}
        {range[1].toFixed(2)}
      </div>
    </div>
  );
}

function Lanes({
  lanes,
  current,
  onPick,
}: {
  lanes: ReturnType<typeof chainLanes>;
  current: TextEntry | null;
  onPick: (t: TextEntry) => void;
}) {
  return (
    <div className="lanes" data-testid="tx-lanes">
      <h3>Chains</h3>
      {lanes.lanes.map((lane) => (
        <div
          key={lane.chain}
          className="lane"
          data-testid="tx-lane"
          data-chain={lane.chain}
          data-steps={lane.steps.length}
        >
          <div className="lane-title">
            chain {lane.chain}
            {lane.hidden > 0 ? (
              <span className="muted small"> (+{lane.hidden} earlier)</span>
            ) : null}
          </div>
          <div className="lane-steps">
            {lane.steps.map((t) => (
              <button
                key={t.seq}
                type="button"
                className={`lane-step${current?.seq === t.seq ? " lane-step-current" : ""}`}
                data-testid="tx-lane-step"
                data-generation={t.generation}
                title={truncate(t.text, 600)}
                onClick={() => onPick(t)}
              >
                <span className="muted small">
                  g{t.generation} · {t.agentId}
                </span>
                <span className="lane-text">{truncate(t.text, 140)}</span>
              </button>
            ))}
          </div>
        </div>
      ))}
      {lanes.hiddenLanes > 0 ? (
        <div className="muted small">{lanes.hiddenLanes} more chains not shown.</div>
      ) : null}
    </div>
  );
}

export default TransmissionPanel;
