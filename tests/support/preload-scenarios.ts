/**
 * Loads the built-in scenarios before any test: code that resolves configs synchronously (batch
 * plans, dry runs) finds a scenario once it is loaded, as the CLI makes sure before planning.
 */
import { builtinScenarios } from "../../sim/app/scenarios.js";

await builtinScenarios();
