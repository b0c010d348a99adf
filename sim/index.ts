/**
 * Agora as a library: what a scenario author and a script need. A scenario is a module whose
 * default export is `defineScenario({...})`; runs, batches and reports take any config that names
 * it (`scenario: ./my-scenario`). See docs/ for the contract and a walk-through.
 */

// Writing a scenario
export {
  defineScenario,
  type AnyScenario,
  type GenerationOutcome,
  type InitialAgent,
  type Scenario,
  type ScenarioCommands,
  type ScenarioDefinition,
  type StepContext,
  type StepDef,
} from "./core/scenario.js";
export type {
  AgentInfo,
  AgoraEvent,
  EventInput,
  EventOf,
  EventType,
  MindInfo,
  RunStatus,
  TimeCoordinate,
  TimeCoords,
} from "./core/events.js";
// Testing a scenario: an event without its wall-clock and cache fields, for same-seed comparisons
export { stableView } from "./core/events.js";
export { ConfigError, UsageError } from "./core/errors.js";
// The config bounds (docs/config.md, "Bounds"), for a scenario's own schema
export { LIMITS } from "./core/limits.js";
export { Rng } from "./core/rng.js";
export { agentId, agentIdParts } from "./core/ids.js";
export { renderTemplate } from "./core/prompt-template.js";
export { areAdjacent, type GraphConfig } from "./core/graph/index.js";
export type {
  AnswerSchema,
  ChatMessage,
  FitRule,
  MindCallRequest,
  MindSpec,
  PolicyDecide,
  PolicyDecisionInput,
  PolicyDefinition,
  PolicyRegistry,
} from "./core/minds.js";
export { dropOldestTurns } from "../agents/context-fit.js";

// The scenario toolkit: selection, answer reading, small statistics
export * from "./toolkit/index.js";

// Running from a script
export { resumeRun, startRun, startRunFrom, type RunOptions, type RunResult } from "./app/run.js";
export { prepareBatch, runBatch } from "./app/batch/runner.js";
export { builtinIds, builtinScenarios, loadScenario } from "./app/scenarios.js";
