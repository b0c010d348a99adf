/**
 * Node positions for the social graph, computed once per run from the slots and edges and never
 * changed afterwards (a newborn takes its slot, so it appears where the agent it replaced was).
 * Deterministic: the same graph always gets the same picture.
 *
 * - up to 30 nodes: a circle in slot order;
 * - larger graphs: a sunflower spiral in slot order, refined by a short Fruchterman-Reingold force
 *   pass (O(n^2) per iteration, so only up to `forceLimit` nodes; beyond that the spiral stays).
 */
export interface Point {
  x: number;
  y: number;
}

const GOLDEN_ANGLE = Math.PI * (3 - Math.sqrt(5));

export function layoutGraph(
  slots: readonly string[],
  edges: readonly [string, string][],
  options: { iterations?: number; forceLimit?: number } = {},
): Record<string, Point> {
  const n = slots.length;
  const out: Record<string, Point> = {};
  if (n === 0) return out;
  if (n <= 30) {
    slots.forEach((slot, i) => {
      const angle = (2 * Math.PI * i) / n - Math.PI / 2;
      out[slot] = { x: Math.cos(angle), y: Math.sin(angle) };
    });
    return out;
  }
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = Math.sqrt((i + 0.5) / n);
    xs[i] = r * Math.cos(i * GOLDEN_ANGLE);
    ys[i] = r * Math.sin(i * GOLDEN_ANGLE);
  }
  const forceLimit = options.forceLimit ?? 1500;
  if (n <= forceLimit) forcePass(slots, edges, xs, ys, options.iterations ?? 60);
  // Normalise into [-1, 1].
  let max = 1e-9;
  for (let i = 0; i < n; i++) max = Math.max(max, Math.abs(xs[i]!), Math.abs(ys[i]!));
  slots.forEach((slot, i) => {
    out[slot] = { x: xs[i]! / max, y: ys[i]! / max };
  });
  return out;
}

function forcePass(
  slots: readonly string[],
  edges: readonly [string, string][],
  xs: Float64Array,
  ys: Float64Array,
  iterations: number,
): void {
  const n = slots.length;
  const index = new Map(slots.map((s, i) => [s, i]));
  const pairs: [number, number][] = [];
  for (const [a, b] of edges) {
    const i = index.get(a);
    const j = index.get(b);
    if (i !== undefined && j !== undefined && i !== j) pairs.push([i, j]);
  }
  // Area 4 (the [-1,1] square): ideal distance k.
  const k = Math.sqrt(4 / n);
  const dx = new Float64Array(n);
  const dy = new Float64Array(n);
  let temperature = 0.1;
  for (let it = 0; it < iterations; it++) {
    dx.fill(0);
    dy.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let ddx = xs[i]! - xs[j]!;
        let ddy = ys[i]! - ys[j]!;
        let d2 = ddx * ddx + ddy * ddy;
        if (d2 < 1e-12) {
          // Coincident points: a deterministic nudge.
          ddx = 1e-4 * ((i % 7) - 3 || 1);
          ddy = 1e-4 * ((j % 5) - 2 || 1);
          d2 = ddx * ddx + ddy * ddy;
        }
        const f = (k * k) / d2;
        dx[i]! += ddx * f;
        dy[i]! += ddy * f;
        dx[j]! -= ddx * f;
        dy[j]! -= ddy * f;
      }
    }
    for (const [i, j] of pairs) {
      const ddx = xs[i]! - xs[j]!;
      const ddy = ys[i]! - ys[j]!;
      const d = Math.sqrt(ddx * ddx + ddy * ddy) || 1e-9;
      const f = d / k;
      dx[i]! -= ddx * f;
      dy[i]! -= ddy * f;
      dx[j]! += ddx * f;
      dy[j]! += ddy * f;
    }
    for (let i = 0; i < n; i++) {
      // A weak pull to the centre keeps disconnected parts on screen.
      dx[i]! -= xs[i]! * 0.5 * n * k;
      dy[i]! -= ys[i]! * 0.5 * n * k;
      const len = Math.sqrt(dx[i]! * dx[i]! + dy[i]! * dy[i]!) || 1e-9;
      const step = Math.min(len, temperature);
      xs[i]! += (dx[i]! / len) * step;
      ys[i]! += (dy[i]! / len) * step;
    }
    temperature *= 0.95;
  }
}
