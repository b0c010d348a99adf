/**
 * The server protocol: the types are the server's own (sim/app/server/protocol.ts), shared, never
 * copied.
 */
export type {
  ControlAck,
  ControlAction,
  ControlRequest,
  RunState as RunStateMessage,
  RunSummary,
  SubscribeAck,
  SubscribeRequest,
} from "../../../sim/app/server/protocol.js";

export const SPEEDS: { value: number; label: string }[] = [
  { value: 1, label: "1 step/s" },
  { value: 4, label: "4 steps/s" },
  { value: 16, label: "16 steps/s" },
  { value: 0, label: "unlimited" },
];
