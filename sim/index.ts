/**
 * Agora as a library: what a scenario author and a script need. A scenario is a module whose
 * default export is `defineScenario({...})`; runs, batches and reports take any config that names
 * it (`scenario: ./my-scenario`). See docs/ for the contract and a walk-through.
 */

// Writing a scenario
export { defineScenario, type AnyScenario, type GenerationOutcome, type InitialAgent, type Scenario, type ScenarioCommands, type ScenarioDefinition, type StepContext, type StepDef } from "./core/scenario.js";
export type { AgentInfo, AgoraEvent, EventInput, EventOf, EventType, MindInfo, RunStatus, TimeCoords } from "./core/events.js";
export { ConfigError, UsageError } from "./core/errors.js";
export { Rng } from "./core/rng.js";
export { renderTemplate } from "./core/prompt-template.js";
export { areAdjacent, type GraphConfig } from "./core/graph/index.js";
export type { MindSpec, PolicyDefinition, PolicyRegistry } from "../agents/minds.js";
export type { PolicyDecide, PolicyDecisionInput } from "../agents/policy-chat-model.js";
export type { AnswerSchema, ChatMessage, MindCallRequest } from "../agents/mind-runtime.js";
export { dropOldestTurns, type FitRule } from "../agents/context-fit.js";

// Running from a script
export { resumeRun, startRun, startRunFrom, type RunOptions, type RunResult } from "./app/run.js";
export { prepareBatch, runBatch } from "./app/batch/runner.js";
export { builtinIds, builtinScenarios, loadScenario } from "./app/scenarios.js";
