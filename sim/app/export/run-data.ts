import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { UsageError } from "../../core/errors.js";
import type { AgentInfo, AgoraEvent, EventOf } from "../../core/events.js";
import {
  eventLogPath,
  FILES,
  readEventLog,
  readJsonLines,
  readManifest,
  type Manifest,
} from "../../core/recorder.js";

/** What the exports read of a run directory. */
export interface RunData {
  dir: string;
  manifest: Manifest;
  started: EventOf<"run-started">;
  /** Every agent of the run, in order of creation. */
  agents: AgentInfo[];
  /** Each agent's last agents.jsonl row (its final score, rank...), where it has one. */
  lastRows: Map<string, Record<string, unknown>>;
  events: AgoraEvent[];
}

export function isRunDir(dir: string): boolean {
  return existsSync(join(dir, FILES.manifest)) && existsSync(eventLogPath(dir));
}

export function readRun(path: string): RunData {
  const dir = resolve(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UsageError(`${dir}: no such directory`);
  if (!isRunDir(dir))
    throw new UsageError(
      `${dir} is not a run directory (no ${FILES.manifest} and ${FILES.events} or ${FILES.eventsGz}) nor a batch directory (no batch.json)`,
    );
  const events = readEventLog(dir);
  const started = events.find((e): e is EventOf<"run-started"> => e.type === "run-started");
  if (!started) throw new UsageError(`${eventLogPath(dir)}: no run-started event`);
  const agents = new Map<string, AgentInfo>();
  for (const e of events)
    if (e.type === "agent-created" && !agents.has(e.agent.id)) agents.set(e.agent.id, e.agent);
  const lastRows = new Map<string, Record<string, unknown>>();
  // Rows come in generation order, so the last one seen is the agent's final state.
  for (const row of readJsonLines<Record<string, unknown>>(join(dir, FILES.agents)))
    if (typeof row.agentId === "string") lastRows.set(row.agentId, row);
  return {
    dir,
    manifest: readManifest(dir),
    started,
    agents: [...agents.values()],
    lastRows,
    events,
  };
}
