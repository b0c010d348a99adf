import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { FILES, plainEventLogPath, readManifest, type Manifest } from "../../core/recorder.js";
import type { LiveFeed } from "./live-feed.js";
import { isSafeRunId, type RunState, type RunSummary } from "./protocol.js";

/** A run a client can subscribe to. */
export interface RunEntry {
  id: string;
  eventsPath: string;
  live?: LiveFeed;
  state: RunState;
}

/**
 * The runs a server offers: the recorded runs (directories with a manifest.json) directly under
 * `runsDir`, read afresh on every request, and the live runs this process executes (one for
 * `agora run --serve`, one per started run of a served batch), which take precedence over a
 * directory of the same name (their own).
 */
export class RunRegistry {
  readonly runsDir: string | undefined;
  private readonly lives = new Map<string, LiveFeed>();

  constructor(runsDir: string | undefined) {
    this.runsDir = runsDir === undefined ? undefined : resolve(runsDir);
  }

  /** Serves a run this process executes as live (a batch adds each run as it starts). */
  addLive(live: LiveFeed): void {
    this.lives.set(live.id, live);
  }

  /** The live run with this id, if this process executes it. */
  liveRun(id: string): LiveFeed | undefined {
    return this.lives.get(id);
  }

  list(): RunSummary[] {
    const rows: RunSummary[] = [...this.lives.values()].map((live) => live.summary());
    if (this.runsDir && existsSync(this.runsDir)) {
      for (const name of readdirSync(this.runsDir)) {
        if (this.lives.has(name) || !isSafeRunId(name)) continue;
        const manifest = this.manifest(name);
        if (manifest) rows.push(recordedSummary(name, manifest));
      }
    }
    // Newest first; runs without a start time last.
    return rows.sort(
      (a, b) => (b.startedAt ?? "").localeCompare(a.startedAt ?? "") || a.id.localeCompare(b.id),
    );
  }

  /** The run with this id, or undefined (unknown, unsafe or unreadable). */
  get(id: string): RunEntry | undefined {
    if (!isSafeRunId(id)) return undefined;
    const live = this.lives.get(id);
    if (live) return { id, eventsPath: live.eventsPath, live, state: live.state() };
    const manifest = this.manifest(id);
    if (!manifest || !this.runsDir) return undefined;
    return {
      id,
      eventsPath: plainEventLogPath(join(this.runsDir, id)),
      state: {
        runId: id,
        live: false,
        status: manifest.status,
        generation: manifest.generationsCompleted ?? 0,
        paused: false,
        speed: 0,
      },
    };
  }

  private manifest(name: string): Manifest | undefined {
    if (!this.runsDir) return undefined;
    const dir = join(this.runsDir, name);
    try {
      if (!statSync(dir).isDirectory() || !existsSync(join(dir, FILES.manifest))) return undefined;
      const manifest = readManifest(dir);
      return manifest && typeof manifest === "object" ? manifest : undefined;
    } catch {
      return undefined;
    }
  }
}

function recordedSummary(id: string, m: Manifest): RunSummary {
  return {
    id,
    scenario: String(m.scenario ?? "unknown"),
    status: m.status,
    generation: typeof m.generationsCompleted === "number" ? m.generationsCompleted : 0,
    live: false,
    startedAt: m.startedAt ?? null,
    endedAt: m.endedAt ?? null,
  };
}
