/**
 * Scenario view registry: scenario id (run-started's `scenario`) -> view module. The views are
 * discovered, not listed: every `scenarios/<id>/view.ts` of the repository whose default export is
 * a view (`defineView`) is bundled and registered under its `id`. Scenarios without one (and
 * plugins from outside the repository) get the generic view. Adding a scenario's view changes
 * nothing here or anywhere else in the viewer.
 *
 * Discovery is Vite's glob import, resolved when the viewer is bundled (and by vitest, which
 * transforms modules with Vite, for node tests).
 */
import { genericView } from "./generic.js";
import { isScenarioView, type ScenarioView } from "./types.js";

export type {
  AgentMeasure,
  ChartSpec,
  InspectorField,
  InteractionStyle,
  LegendItem,
  MoveEdge,
  MoveHighlights,
  RoundChartSpec,
  ScenarioView,
  SeriesSpec,
  StrategyRevision,
} from "./types.js";

declare global {
  interface ImportMeta {
    /**
     * Vite's glob import (https://vite.dev/guide/features#glob-import), declared for both type
     * checks.
     */
    glob<T = unknown>(pattern: string | string[], options: { eager: true }): Record<string, T>;
  }
}

/** The scenario folder of a discovered module's path (`…/scenarios/<folder>/view.ts` -> folder). */
export function folderOf(path: string): string {
  const match = /scenarios\/([^/]+)\/view(?:\.ts|\/)/.exec(path);
  return match ? match[1]! : path;
}

function discover(): {
  byId: Record<string, ScenarioView>;
  byFolder: Record<string, ScenarioView>;
} {
  const modules = import.meta.glob<{ default?: unknown }>("../../../scenarios/*/view.ts", {
    eager: true,
  });
  const byId: Record<string, ScenarioView> = {};
  const byFolder: Record<string, ScenarioView> = {};
  for (const path of Object.keys(modules).sort()) {
    const view = modules[path]!.default;
    if (!isScenarioView(view)) {
      console.warn(
        `agora viewer: ${path} has no scenario view as its default export (defineView): skipped`,
      );
      continue;
    }
    byId[view.id] = view;
    byFolder[folderOf(path)] = view;
  }
  return { byId, byFolder };
}

const discovered = discover();

/** The discovered views by scenario id. */
export const SCENARIO_VIEWS: Readonly<Record<string, ScenarioView>> = discovered.byId;

/** The discovered views by scenario folder (panels are found per folder: panels.tsx). */
export const VIEWS_BY_FOLDER: Readonly<Record<string, ScenarioView>> = discovered.byFolder;

export function viewFor(scenario: string | null | undefined): ScenarioView {
  return (scenario ? SCENARIO_VIEWS[scenario] : undefined) ?? genericView;
}

export { genericView };
