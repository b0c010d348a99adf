/** Colours shared by the graph, the legends and the charts (pure; no DOM). */

/** A categorical palette readable on white (Tableau-like). */
export const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#59a14f",
  "#b07aa1",
  "#edc948",
  "#76b7b2",
  "#ff9da7",
  "#9c755f",
  "#e15759",
  "#bab0ac",
  "#1f77b4",
  "#8c564b",
];

/** The colour of "no LLM": policy minds in the model colouring. */
export const POLICY_GREY = "#8a8f98";
export const LINEAGE_COLOR = "#7b4fd6";
export const TOPOLOGY_EDGE = "#d9dde3";

/** Assigns palette colours to category names in order of first appearance (stable within a run). */
export class CategoryColors {
  private readonly assigned = new Map<string, string>();
  constructor(private readonly fixed: Record<string, string> = {}) {}

  get(name: string): string {
    const fixed = this.fixed[name];
    if (fixed) return fixed;
    let color = this.assigned.get(name);
    if (!color) {
      color = PALETTE[this.assigned.size % PALETTE.length]!;
      this.assigned.set(name, color);
    }
    return color;
  }
}

function hex(n: number): string {
  return Math.round(Math.max(0, Math.min(255, n)))
    .toString(16)
    .padStart(2, "0");
}

/** Red (0) through amber (0.5) to green (1). */
export function fractionColor(fraction: number): string {
  const f = Number.isFinite(fraction) ? Math.max(0, Math.min(1, fraction)) : 0;
  const red = [214, 39, 40];
  const amber = [240, 180, 30];
  const green = [44, 160, 44];
  const [a, b, u] = f < 0.5 ? [red, amber, f / 0.5] : [amber, green, (f - 0.5) / 0.5];
  return `#${hex(a[0]! + (b[0]! - a[0]!) * u)}${hex(a[1]! + (b[1]! - a[1]!) * u)}${hex(a[2]! + (b[2]! - a[2]!) * u)}`;
}
