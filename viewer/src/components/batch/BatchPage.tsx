/**
 * The batch page: every run's status and generation, the aggregate chart per condition (mean and
 * bootstrap CI band of a metric over generations, updating as runs progress) and a click-through
 * into any run's own view. Data: `GET /api/batch` (batchStore.ts).
 */
import { useEffect, useMemo } from "react";
import { Panel, StatusBadge } from "../common.js";
import { UPlotChart } from "../UPlotChart.js";
import { batchChartData, conditionColor } from "./batchSeries.js";
import {
  openBatchPage,
  openRun,
  setBatchMetric,
  startBatchClient,
  useBatch,
} from "./batchStore.js";
import "./batch.css";

/** True while the batch page replaces the run view. */
export const useBatchOpen = (): boolean => useBatch((s) => s.open && s.available === true);

/**
 * The sidebar's way back to the batch page (only when the server serves a batch); starts polling.
 */
export function BatchNav() {
  useEffect(() => startBatchClient(), []);
  const available = useBatch((s) => s.available);
  const open = useBatch((s) => s.open);
  const state = useBatch((s) => s.state);
  if (!available || !state) return null;
  const done = (state.counts.completed ?? 0) + (state.counts.failed ?? 0);
  return (
    <button
      type="button"
      className="batch-nav"
      data-testid="batch-nav"
      aria-pressed={open}
      onClick={openBatchPage}
    >
      <b>Batch {state.batchId}</b>
      <br />
      <span className="muted">
        {done}/{state.runs.length} runs done · {state.counts.running ?? 0} running
      </span>
    </button>
  );
}

export function BatchPage() {
  const state = useBatch((s) => s.state);
  const error = useBatch((s) => s.error);
  const chart = useMemo(() => (state ? batchChartData(state.series) : null), [state]);
  if (!state || !chart) return <div className="muted">loading the batch…</div>;
  const counts = [
    "completed",
    "running",
    "pending",
    "failed",
    "interrupted",
    "budget-exhausted",
  ].filter((s) => (state.counts[s] ?? 0) > 0);
  const latestN = (i: number) => state.series[i]?.n.at(-1) ?? 0;
  return (
    <div
      className="batch-page"
      data-testid="batch-page"
      data-status={state.status}
      data-runs={state.runs.length}
    >
      <div className="batch-header">
        <h2 data-testid="batch-title">Batch {state.batchId}</h2>
        <StatusBadge status={state.status} live={state.status === "running"} />
        <span
          className="batch-counts"
          data-testid="batch-counts"
          {...Object.fromEntries(Object.entries(state.counts).map(([k, v]) => [`data-${k}`, v]))}
        >
          {counts.map((s) => (
            <span key={s} className={`badge status-${s}`}>
              {state.counts[s]} {s}
            </span>
          ))}
        </span>
      </div>
      <div className="batch-facts muted">
        <span>config {state.config}</span>
        <span>
          {state.conditions.length} condition(s) × {state.seeds.length} seed(s)
        </span>
        {Object.entries(state.grid).map(([k, vs]) => (
          <span key={k}>
            {k} ∈ {"{"}
            {vs.join(", ")}
            {"}"}
          </span>
        ))}
      </div>
      {error ? (
        <div className="notice notice-error" data-testid="batch-error">
          {error}
        </div>
      ) : null}
      <Panel
        title="Per condition: mean and 95% CI over generations"
        testId="batch-chart"
        className="batch-chart"
        actions={
          <label className="batch-metric">
            metric{" "}
            <select
              data-testid="batch-metric"
              value={state.metric ?? ""}
              onChange={(e) => setBatchMetric(e.target.value)}
              disabled={state.metrics.length === 0}
            >
              {state.metrics.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          </label>
        }
      >
        {state.metric === null ? (
          <div className="muted" data-testid="batch-chart-empty">
            No generation has ended yet.
          </div>
        ) : (
          <>
            <UPlotChart
              testId="batch-plot"
              xLabel="generation"
              height={240}
              data={chart.data}
              series={chart.series}
              bands={chart.bands}
            />
            <div className="batch-legend muted">
              {state.conditions.map((c, i) => (
                <span key={c} data-testid="batch-condition" data-n={latestN(i)}>
                  <i style={{ background: conditionColor(i) }} />
                  {c}: n = {latestN(i)} at generation {state.series[i]?.generation.at(-1) ?? "–"}
                </span>
              ))}
              <span>
                band: percentile bootstrap of the mean ({state.ci.resamples} resamples); every run's
                recorded generations count, running runs too
              </span>
            </div>
          </>
        )}
      </Panel>
      <Panel title="Runs" testId="batch-runs">
        <table className="batch-runs-table">
          <thead>
            <tr>
              <th>run</th>
              <th>condition</th>
              <th>seed</th>
              <th>status</th>
              <th>generation</th>
              <th>error</th>
            </tr>
          </thead>
          <tbody>
            {state.runs.map((run) => (
              <tr
                key={run.id}
                data-testid={`batch-run-${run.id}`}
                data-status={run.status}
                data-generation={run.generation}
                data-live={run.live ? "true" : "false"}
              >
                <td>
                  {run.status === "pending" ? (
                    <span className="muted">{run.id}</span>
                  ) : (
                    <button
                      type="button"
                      className="link"
                      data-testid={`batch-open-${run.id}`}
                      onClick={() => openRun(run.id)}
                    >
                      {run.id}
                    </button>
                  )}
                </td>
                <td>{run.condition}</td>
                <td>{run.seed}</td>
                <td>
                  <StatusBadge status={run.status} live={run.live && run.status === "running"} />
                </td>
                <td>
                  <span className="batch-progress">
                    <span
                      style={{
                        width: `${run.generations > 0 ? Math.min(100, (100 * run.generation) / run.generations) : 0}%`,
                      }}
                    />
                  </span>
                  {run.generation}/{run.generations}
                </td>
                <td className="batch-error" title={run.error ?? ""}>
                  {run.error ?? ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
    </div>
  );
}
