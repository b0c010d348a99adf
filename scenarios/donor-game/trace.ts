/**
 * Chained traces, as in the released code: when A acts as donor towards B, A's trace becomes B's
 * trace followed by A's action. A donor sees the recipient's last `depth` entries, newest first:
 * what the recipient did, what its partner did the round before, and so on. Only those entries are
 * kept, so a trace costs `depth` entries however long the game.
 */
export type TraceEntry =
  | { kind: "none"; agent: string }
  | {
      kind: "donate" | "punish" | "refuse";
      round: number;
      donor: string;
      recipient: string;
      amount: number;
      fraction: number | null;
      taken?: number;
    };

/** Each agent's visible trace (newest first, at most `depth` entries). */
export interface Traces {
  depth: number;
  byAgent: Map<string, readonly TraceEntry[]>;
}

export function initialTraces(agentIds: readonly string[], depth: number): Traces {
  return { depth, byAgent: new Map(agentIds.map((id) => [id, [{ kind: "none", agent: id }]])) };
}

/** What a donor sees of `agentId`: its last `depth` entries, newest first. */
export function visibleTrace(traces: Traces, agentId: string): readonly TraceEntry[] {
  return traces.byAgent.get(agentId) ?? [];
}

export function recordAction(traces: Traces, entry: Exclude<TraceEntry, { kind: "none" }>): void {
  const chained = traces.byAgent.get(entry.recipient) ?? [];
  traces.byAgent.set(entry.donor, [entry, ...chained.slice(0, traces.depth - 1)]);
}
