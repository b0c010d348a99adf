/** A small React wrapper around uPlot: rebuilt when its shape changes, `setData` otherwise. */
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import type { Aligned } from "../state/selectors.js";

export type ValueFormat = "number" | "percent" | "usd";

export interface ChartSeries {
  label: string;
  color: string;
  /** Scale name; "y" (left axis) unless given. A second scale gets a right-hand axis. */
  scale?: string;
  format?: ValueFormat;
  /** Line width (default 2); 0 draws no line (a band's edge). */
  width?: number;
  /** Draw point markers (default true). */
  points?: boolean;
}

function formatValue(v: number | null | undefined, format: ValueFormat = "number"): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  if (format === "percent") return `${Math.round(v * 1000) / 10}%`;
  if (format === "usd") return `$${v < 1 ? v.toFixed(4) : v.toFixed(2)}`;
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  if (Number.isInteger(v)) return String(v);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

export function UPlotChart({
  data,
  series,
  xLabel,
  log = false,
  yRange,
  height = 170,
  bands,
  testId,
}: {
  data: Aligned;
  series: ChartSeries[];
  xLabel: string;
  log?: boolean;
  yRange?: [number, number];
  height?: number;
  /** Filled areas between two series (indexes into [x, ...series]), e.g. a CI band. */
  bands?: uPlot.Band[];
  testId: string;
}) {
  const wrapRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const shape = JSON.stringify({ series, xLabel, log, yRange, height, bands });
  const shown = log ? positiveOnly(data) : data;
  const dataRef = useRef(shown);
  dataRef.current = shown;

  useEffect(() => {
    const wrap = wrapRef.current;
    if (!wrap) return;
    const scales = [...new Set(series.map((s) => s.scale ?? "y"))];
    const formatOf = (scale: string): ValueFormat =>
      series.find((s) => (s.scale ?? "y") === scale)?.format ?? "number";
    const opts: uPlot.Options = {
      width: Math.max(200, wrap.clientWidth),
      height,
      legend: { show: true, live: true },
      ...(bands ? { bands } : {}),
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: false },
        ...Object.fromEntries(
          scales.map((scale) => [
            scale,
            scale === "y" && log
              ? { distr: 3 as const, log: 10 as const }
              : scale === "y" && yRange
                ? { range: yRange }
                : {
                    range: (_u: uPlot, min: number, max: number) =>
                      (min === max
                        ? [Math.min(0, min), max === 0 ? 1 : max * 1.1]
                        : [Math.min(0, min), max]) as uPlot.Range.MinMax,
                  },
          ]),
        ),
      },
      axes: [
        {
          label: xLabel,
          labelSize: 16,
          size: 34,
          values: (_u, vals) => vals.map((v) => (Number.isInteger(v) ? String(v) : "")),
        },
        ...scales.map((scale, i) => ({
          scale,
          side: i === 0 ? 3 : 1,
          size: 52,
          grid: { show: i === 0, stroke: "#eef0f3" },
          values: (_u: uPlot, vals: number[]) => vals.map((v) => formatValue(v, formatOf(scale))),
        })),
      ],
      series: [
        { label: xLabel, value: (_u, v) => (v === null || v === undefined ? "–" : String(v)) },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.width ?? 2,
          scale: s.scale ?? "y",
          spanGaps: true,
          points: { show: s.points ?? true, size: 5 },
          value: (_u: uPlot, v: number | null) => formatValue(v, s.format),
        })),
      ],
    };
    const plot = new uPlot(opts, dataRef.current as uPlot.AlignedData, wrap);
    plotRef.current = plot;
    const observer = new ResizeObserver(() => {
      const width = Math.max(200, wrap.clientWidth);
      if (Math.abs(width - plot.width) > 1) plot.setSize({ width, height });
    });
    observer.observe(wrap);
    return () => {
      observer.disconnect();
      plot.destroy();
      plotRef.current = null;
    };
    // `shape` stands for series, xLabel, log, yRange, height and bands.
  }, [shape]);

  useEffect(() => {
    plotRef.current?.setData(shown as uPlot.AlignedData);
  }, [shown]);

  return (
    <div className="uplot-wrap" ref={wrapRef} data-testid={testId} data-points={data[0].length} />
  );
}

/** Log scales cannot show 0 or negative values: they become gaps. */
function positiveOnly(data: Aligned): Aligned {
  const [x, ...ys] = data;
  return [x, ...ys.map((y) => y.map((v) => (v !== null && v > 0 ? v : null)))];
}
