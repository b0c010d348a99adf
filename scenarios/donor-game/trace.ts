/**
 * Chained traces, as in the released code: when A acts as donor towards B, A's trace becomes B's
 * trace followed by A's action. A donor sees the recipient's last `depth` entries, newest first:
 * what the recipient did, what its partner did the round before, and so on.
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

export type Traces = Map<string, TraceEntry[]>;

export function initialTraces(agentIds: readonly string[]): Traces {
  return new Map(agentIds.map((id) => [id, [{ kind: "none", agent: id }]]));
}

export function visibleTrace(traces: Traces, agentId: string, depth: number): TraceEntry[] {
  return (traces.get(agentId) ?? []).slice(-depth).reverse();
}

export function recordAction(traces: Traces, entry: Exclude<TraceEntry, { kind: "none" }>): void {
  traces.set(entry.donor, [...(traces.get(entry.recipient) ?? []), entry]);
}
