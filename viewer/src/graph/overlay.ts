/**
 * A 2D canvas layer inside sigma (between its edge and node layers) for what changes often:
 * interaction flashes and lineage arrows. Sigma re-indexes the whole graph whenever an edge is
 * dropped, so animating thousands of short-lived edges through the graph would stall the page;
 * drawn here they cost a few canvas strokes per frame and never touch sigma's buffers.
 */
import type Sigma from "sigma";

export interface Flash {
  from: string;
  to: string;
  born: number;
  color: string;
  size: number;
}

export interface OverlayState {
  flashes: Flash[];
  /** [parent slot, child slot] pairs. */
  lineage: [string, string][];
  lineageColor: string;
}

export const FLASH_MS = 600;

export function createOverlay(sigma: Sigma): HTMLCanvasElement {
  return sigma.createCanvas("agoraOverlay", {
    afterLayer: "edgeLabels",
    style: { pointerEvents: "none" },
  });
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

/** Redraws the layer; drops expired flashes. Returns whether flashes remain (keep animating). */
export function drawOverlay(
  sigma: Sigma,
  canvas: HTMLCanvasElement,
  state: OverlayState,
  now: number,
): boolean {
  const { width, height } = sigma.getDimensions();
  const ratio = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  const ctx = canvas.getContext("2d");
  if (!ctx) return false;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.lineCap = "round";

  ctx.globalAlpha = 0.85;
  ctx.strokeStyle = state.lineageColor;
  ctx.fillStyle = state.lineageColor;
  ctx.setLineDash([5, 4]);
  for (const [from, to] of state.lineage) {
    const a = nodePoint(sigma, from);
    const b = nodePoint(sigma, to);
    if (a && b) arrow(ctx, a, b, 1.8);
  }
  ctx.setLineDash([]);

  let kept = 0;
  for (const flash of state.flashes) {
    const age = now - flash.born;
    if (age >= FLASH_MS) continue;
    state.flashes[kept++] = flash;
    const a = nodePoint(sigma, flash.from);
    const b = nodePoint(sigma, flash.to);
    if (!a || !b) continue;
    ctx.globalAlpha = Math.max(0, 1 - (age / FLASH_MS) ** 2);
    ctx.strokeStyle = flash.color;
    ctx.fillStyle = flash.color;
    arrow(ctx, a, b, flash.size);
  }
  state.flashes.length = kept;
  ctx.globalAlpha = 1;
  return kept > 0;
}
