/**
 * The batch page's state, beside the run viewer's store: whether the server serves a batch
 * (`GET /api/batch`: 404 means no), its latest state, the chosen metric, and whether the page is
 * open. Polled every 2 s while the server serves a batch; the page opens by itself when the URL
 * names no run (`?run=`), and `?batch` opens it explicitly.
 */
import { createStore } from "zustand/vanilla";
import { useStore } from "zustand";
import type { BatchState } from "../../../../sim/app/server/batch-protocol.js";
import { selectRun } from "../../net/client.js";

export interface BatchStore {
  /** null until the server answered; false: it serves no batch. */
  available: boolean | null;
  state: BatchState | null;
  error: string | null;
  /** The metric asked for; null: the server's default (the first). */
  metric: string | null;
  open: boolean;
}

const POLL_MS = 2000;
const params = new URLSearchParams(window.location.search);
const token = params.get("token");

export const batchStore = createStore<BatchStore>(() => ({
  available: null,
  state: null,
  error: null,
  metric: params.get("metric"),
  open: false,
}));

export function useBatch<T>(selector: (s: BatchStore) => T): T {
  return useStore(batchStore, selector);
}

let started = false;
let timer: ReturnType<typeof setTimeout> | null = null;

export async function refreshBatch(): Promise<void> {
  const metric = batchStore.getState().metric;
  try {
    const res = await fetch(`/api/batch${metric ? `?metric=${encodeURIComponent(metric)}` : ""}`, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
    // 204: this server serves no batch.
    if (res.status === 204) {
      batchStore.setState({ available: false, open: false });
      return;
    }
    const body = (await res.json()) as BatchState | { error: string };
    if (!res.ok || "error" in body)
      throw new Error("error" in body ? body.error : `HTTP ${res.status}`);
    const first = batchStore.getState().available !== true;
    batchStore.setState({
      available: true,
      state: body,
      error: null,
      ...(first && (!params.has("run") || params.has("batch")) ? { open: true } : {}),
    });
  } catch (error) {
    batchStore.setState({ error: error instanceof Error ? error.message : String(error) });
  }
  if (timer) clearTimeout(timer);
  // Until the server says it serves no batch (204), keep asking: a batch may not have started yet
  // (503).
  if (batchStore.getState().available !== false)
    timer = setTimeout(() => void refreshBatch(), POLL_MS);
}

/** Starts polling once (the sidebar's batch link calls it on mount). */
export function startBatchClient(): void {
  if (started) return;
  started = true;
  void refreshBatch();
}

export function setBatchMetric(metric: string): void {
  batchStore.setState({ metric });
  void refreshBatch();
}

export function openBatchPage(): void {
  batchStore.setState({ open: true });
}

/** Click-through: the run's own live (or recorded) view. */
export function openRun(runId: string): void {
  batchStore.setState({ open: false });
  selectRun(runId);
}
