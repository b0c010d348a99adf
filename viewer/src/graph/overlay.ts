/**
 * 2D canvas layers inside sigma (between its edge and node layers) for what changes often:
 * interaction flashes, lineage arrows and the current step's moves (a Donor Game round's
 * donations on the edges where they happen). Sigma re-indexes the whole graph whenever an edge is
 * dropped, so animating thousands of short-lived edges through the graph would stall the page;
 * drawn here they cost a few canvas strokes per frame and never touch sigma's buffers.
 *
 * Lineage and flashes are two canvases: flashes fade every frame, while lineage (hundreds of dashed
 * arrows after a generation turns over) only changes with the generation or the camera. With
 * software rendering every changed canvas is rasterised and uploaded on the frame it changes, so
 * redrawing lineage along with every flash frame cost more than the flashes themselves.
 */
import type Sigma from "sigma";
import type { MoveHighlights } from "../scenarios/types.js";
import type { ViewerState } from "../state/types.js";

export interface Flash {
  from: string;
  to: string;
  born: number;
  color: string;
  size: number;
}

/** A highlighted move, resolved to the graph's nodes (slots). */
export interface MoveArrow {
  from: string;
  to: string;
  color: string;
  width: number;
}

/**
 * The highlighted moves on the graph's nodes: each agent's slot (an agent replaced since keeps its
 * slot), moves without two distinct slots left out. Pure.
 */
export function moveArrows(highlights: MoveHighlights | null, state: ViewerState): MoveArrow[] {
  const arrows: MoveArrow[] = [];
  for (const edge of highlights?.edges ?? []) {
    const from = state.agents[edge.from]?.slot;
    const to = state.agents[edge.to]?.slot;
    if (!from || !to || from === to) continue;
    arrows.push({ from, to, color: edge.color, width: edge.width });
  }
  return arrows;
}

export interface OverlayLayers {
  moves: HTMLCanvasElement;
  lineage: HTMLCanvasElement;
  flashes: HTMLCanvasElement;
}

export const FLASH_MS = 600;

export function createOverlay(sigma: Sigma): OverlayLayers {
  // Moves lie on the edges, under lineage and flashes.
  const moves = sigma.createCanvas("agoraMoves", {
    afterLayer: "edgeLabels",
    style: { pointerEvents: "none" },
  });
  const lineage = sigma.createCanvas("agoraLineage", {
    afterLayer: "agoraMoves",
    style: { pointerEvents: "none" },
  });
  const flashes = sigma.createCanvas("agoraFlashes", {
    afterLayer: "agoraLineage",
    style: { pointerEvents: "none" },
  });
  return { moves, lineage, flashes };
}

function nodePoint(sigma: Sigma, slot: string): { x: number; y: number; r: number } | null {
  const data = sigma.getNodeDisplayData(slot);
  if (!data || data.hidden) return null;
  const p = sigma.framedGraphToViewport(data);
  return { x: p.x, y: p.y, r: sigma.scaleSize(data.size) };
}

function arrow(
  ctx: CanvasRenderingContext2D,
  a: { x: number; y: number; r: number },
  b: { x: number; y: number; r: number },
  width: number,
): void {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy);
  if (len < 1e-6 || len <= a.r + b.r) return;
  const ux = dx / len;
  const uy = dy / len;
  const sx = a.x + ux * a.r;
  const sy = a.y + uy * a.r;
  const ex = b.x - ux * b.r;
  const ey = b.y - uy * b.r;
  const head = Math.min(10, 3 + width * 2.2);
  ctx.lineWidth = width;
  ctx.beginPath();
  ctx.moveTo(sx, sy);
  ctx.lineTo(ex - ux * head * 0.8, ey - uy * head * 0.8);
  ctx.stroke();
  ctx.beginPath();
  ctx.moveTo(ex, ey);
  ctx.lineTo(ex - ux * head - uy * head * 0.5, ey - uy * head + ux * head * 0.5);
  ctx.lineTo(ex - ux * head + uy * head * 0.5, ey - uy * head - ux * head * 0.5);
  ctx.closePath();
  ctx.fill();
}

/** Sizes the canvas to sigma's viewport and clears it. */
function begin(sigma: Sigma, canvas: HTMLCanvasElement): CanvasRenderingContext2D | null {
  const { width, height } = sigma.getDimensions();
  const ratio = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  const ctx = canvas.getContext("2d");
  if (!ctx) return null;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.lineCap = "round";
  return ctx;
}

/** Redraws the lineage layer: dashed arrows from parent slot to child slot. */
export function drawLineage(
  sigma: Sigma,
  canvas: HTMLCanvasElement,
  lineage: readonly (readonly [string, string])[],
  color: string,
): void {
  const ctx = begin(sigma, canvas);
  if (!ctx) return;
  ctx.globalAlpha = 0.85;
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.setLineDash([5, 4]);
  for (const [from, to] of lineage) {
    const a = nodePoint(sigma, from);
    const b = nodePoint(sigma, to);
    if (a && b) arrow(ctx, a, b, 1.8);
  }
  ctx.setLineDash([]);
  ctx.globalAlpha = 1;
}

/**
 * Redraws the moves layer: one arrow per move from actor to target. Where both directions of a pair
 * are drawn (the Donor Game's second game reverses the first's pairs), each arrow is moved to its
 * own side of the edge so that both show. Returns the number of arrows placed.
 */
export function drawMoves(
  sigma: Sigma,
  canvas: HTMLCanvasElement,
  moves: readonly MoveArrow[],
): number {
  const ctx = begin(sigma, canvas);
  if (!ctx) return 0;
  const pairs = new Set<string>();
  for (const m of moves) pairs.add(`${m.from}\u0000${m.to}`);
  const points = new Map<string, ReturnType<typeof nodePoint>>();
  const point = (slot: string) => {
    if (!points.has(slot)) points.set(slot, nodePoint(sigma, slot));
    return points.get(slot)!;
  };
  let drawn = 0;
  ctx.globalAlpha = 0.9;
  for (const m of moves) {
    let a = point(m.from);
    let b = point(m.to);
    if (!a || !b) continue;
    if (pairs.has(`${m.to}\u0000${m.from}`)) {
      // To the left of the direction of travel: the reverse arrow lands on the other side.
      const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
      const shift = m.width / 2 + 1.5;
      const ox = ((b.y - a.y) / len) * shift;
      const oy = (-(b.x - a.x) / len) * shift;
      a = { ...a, x: a.x + ox, y: a.y + oy };
      b = { ...b, x: b.x + ox, y: b.y + oy };
    }
    ctx.strokeStyle = m.color;
    ctx.fillStyle = m.color;
    arrow(ctx, a, b, m.width);
    drawn++;
  }
  ctx.globalAlpha = 1;
  return drawn;
}

/**
 * Redraws the flash layer; drops expired flashes (in place). Returns whether flashes remain (keep
 * animating).
 */
export function drawFlashes(
  sigma: Sigma,
  canvas: HTMLCanvasElement,
  flashes: Flash[],
  now: number,
): boolean {
  const ctx = begin(sigma, canvas);
  if (!ctx) return false;
  let kept = 0;
  for (const flash of flashes) {
    const age = now - flash.born;
    if (age >= FLASH_MS) continue;
    flashes[kept++] = flash;
    const a = nodePoint(sigma, flash.from);
    const b = nodePoint(sigma, flash.to);
    if (!a || !b) continue;
    ctx.globalAlpha = Math.max(0, 1 - (age / FLASH_MS) ** 2);
    ctx.strokeStyle = flash.color;
    ctx.fillStyle = flash.color;
    arrow(ctx, a, b, flash.size);
  }
  flashes.length = kept;
  ctx.globalAlpha = 1;
  return kept > 0;
}
