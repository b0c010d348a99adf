/**
 * Live charts: the scenario's per-generation metrics (or one chart per numeric metric for an
 * unknown scenario), the viewed generation's round series (x and lines by the time coordinates
 * run-started declares, labelled by the scenario's view or the declared labels), and LLM usage.
 */
import { useMemo } from "react";
import { PALETTE } from "../colors.js";
import { fmtInt, fmtUsd } from "../format.js";
import { viewFor } from "../scenarios/index.js";
import {
  generationMetricKeys,
  generationSeries,
  roundMetricKeys,
  roundSeries,
  usageSeries,
} from "../state/selectors.js";
import { setOption, useViewer } from "../store.js";
import { Panel } from "./common.js";
import { UPlotChart } from "./UPlotChart.js";

const ROUND_SERIES_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"];

export function Charts() {
  const view = useViewer((s) => s.shown);
  const logScale = useViewer((s) => s.options.logScale);
  const scenarioView = viewFor(view.run?.scenario);
  const metricRows = view.generationMetrics;
  const keys = useMemo(() => generationMetricKeys({ generationMetrics: metricRows }), [metricRows]);
  // A chart whose metrics are null in every generation so far (attitudes in a debate without
  // surveys) is left out.
  const charts = scenarioView
    .generationCharts(keys)
    .filter(
      (c) =>
        metricRows.length === 0 ||
        c.series.some((s) =>
          metricRows.some((r) => r.values[s.key] !== null && r.values[s.key] !== undefined),
        ),
    );
  const roundRows = view.roundMetrics;
  const roundKeys = useMemo(() => roundMetricKeys({ roundMetrics: roundRows }), [roundRows]);
  const roundChart = scenarioView.roundChart(roundKeys);
  const rounds = roundChart ? roundSeries(view, roundChart.metric) : null;
  const llm = view.llm;

  return (
    <Panel title="Charts" testId="charts" className="charts-panel">
      <div className="chart-grid">
        {charts.map((chart) => (
          <div className="chart" key={chart.id} data-testid={`chart-${chart.id}`}>
            <div className="chart-title">
              {chart.title}
              {chart.logToggle ? (
                <label className="chart-option">
                  <input
                    type="checkbox"
                    data-testid="log-toggle"
                    checked={logScale}
                    onChange={(e) => setOption("logScale", e.target.checked)}
                  />{" "}
                  log scale
                </label>
              ) : null}
            </div>
            <UPlotChart
              testId={`plot-${chart.id}`}
              xLabel="generation"
              data={generationSeries(
                view,
                chart.series.map((s) => s.key),
              )}
              series={chart.series.map((s) => ({
                label: s.label,
                color: s.color,
                ...(chart.format ? { format: chart.format } : {}),
              }))}
              log={chart.logToggle === true && logScale}
              {...(chart.yRange ? { yRange: chart.yRange } : {})}
            />
          </div>
        ))}
        {roundChart && rounds ? (
          <div className="chart" data-testid="chart-rounds">
            <div className="chart-title">
              {roundChart.title}
              <span className="muted"> — generation {view.roundGeneration || "–"}</span>
            </div>
            <UPlotChart
              testId="plot-rounds"
              xLabel={rounds.xLabel}
              data={rounds.data}
              series={rounds.series.map((g, i) => ({
                label: roundChart.seriesLabel?.(g) ?? rounds.seriesLabel(g),
                color: ROUND_SERIES_COLORS[i % ROUND_SERIES_COLORS.length]!,
                ...(roundChart.format ? { format: roundChart.format } : {}),
              }))}
              {...(roundChart.format === "percent" ? { yRange: [0, 1] as [number, number] } : {})}
            />
          </div>
        ) : null}
        <div className="chart" data-testid="chart-usage">
          <div className="chart-title">LLM calls, tokens and cost</div>
          <div className="llm-counters" data-testid="llm-counters" data-calls={llm.calls}>
            <span>
              <b>{fmtInt(llm.calls)}</b> calls
              {llm.cachedCalls > 0 ? ` (${fmtInt(llm.cachedCalls)} cached)` : ""}
            </span>
            <span>
              <b>{fmtInt(llm.tokensIn)}</b> tokens in · <b>{fmtInt(llm.tokensOut)}</b> out
            </span>
            <span>
              <b>{fmtUsd(llm.cost)}</b>
              {llm.unpricedCalls > 0 ? ` (+${fmtInt(llm.unpricedCalls)} unpriced calls)` : ""}
            </span>
            <span>
              <b>{fmtInt(llm.parseFailures)}</b> unusable answers
            </span>
            <span data-testid="llm-truncated" data-count={llm.truncated}>
              <b>{fmtInt(llm.truncated)}</b> cut at maxTokens
            </span>
            {llm.contextExceeded > 0 ? (
              <span data-testid="llm-context-exceeded">
                <b>{fmtInt(llm.contextExceeded)}</b> over the context window
              </span>
            ) : null}
          </div>
          {llm.calls === 0 ? (
            <div className="muted chart-empty" data-testid="usage-none">
              No LLM calls{view.nextSeq > 0 ? " so far" : ""}: policy minds are offline programs and
              make none.
            </div>
          ) : (
            <UPlotChart
              testId="plot-usage"
              xLabel="generation"
              height={150}
              data={usageSeries(view)}
              series={[
                { label: "calls", color: PALETTE[0]!, scale: "y" },
                { label: "tokens", color: PALETTE[1]!, scale: "tokens" },
                { label: "cumulative cost", color: PALETTE[2]!, scale: "usd", format: "usd" },
              ]}
            />
          )}
        </div>
      </div>
    </Panel>
  );
}
