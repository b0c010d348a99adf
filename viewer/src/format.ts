/** Display helpers (pure). */
import type { MindInfo, TimeCoordinate, TimeCoords } from "./state/types.js";

export function fmtNumber(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  if (Math.abs(v) >= 10_000) return Math.round(v).toLocaleString("en-US");
  return Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

/** Short numbers for tight columns: 5876.3 -> "5.88k". */
export function fmtCompact(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  if (a >= 1000) return `${(v / 1e3).toFixed(2)}k`;
  return a >= 100 ? v.toFixed(1) : v.toFixed(2);
}

export function fmtInt(v: number): string {
  return Math.round(v).toLocaleString("en-US");
}

export function fmtUsd(v: number): string {
  return v < 0.01 && v > 0 ? `$${v.toFixed(5)}` : `$${v.toFixed(v >= 100 ? 0 : 4)}`;
}

export function fmtPct(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "–" : `${Math.round(v * 100)}%`;
}

/**
 * "g3·game 2·round 5": the generation, then the scenario's declared coordinates in order (labelled
 * by their labels), then any coordinate the declaration does not name (labelled by its key).
 */
export function fmtTime(t: TimeCoords, time: readonly TimeCoordinate[] = []): string {
  const parts = [`g${t.generation}`];
  const declared = new Set(time.map((c) => c.key));
  for (const c of time) if (t[c.key] !== undefined) parts.push(`${c.label} ${t[c.key]}`);
  for (const [key, value] of Object.entries(t))
    if (key !== "generation" && !declared.has(key) && value !== undefined)
      parts.push(`${key} ${value}`);
  return parts.join("·");
}

function fmtParam(v: unknown): string {
  return typeof v === "number" ? String(Math.round(v * 1000) / 1000) : JSON.stringify(v);
}

/** Policy parameters as "fraction 0.5, threshold 0.3". */
export function fmtParams(params: Record<string, unknown> | undefined): string {
  if (!params) return "";
  return Object.entries(params)
    .map(([k, v]) => `${k} ${fmtParam(v)}`)
    .join(", ");
}

/** A full, honest description of a mind: policy minds are never presented as LLMs. */
export function describeMind(mind: MindInfo | null): string {
  if (!mind) return "unknown mind";
  if (mind.kind === "policy") {
    const params = fmtParams(mind.params);
    return `policy (offline, not an LLM): ${mind.name}${params ? ` — ${params}` : ""}`;
  }
  return `LLM: profile ${mind.name}${mind.model ? `, model ${mind.model}` : ""}`;
}

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
