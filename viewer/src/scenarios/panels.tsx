/**
 * Scenario panels: a scenario may add its own panels below the graph row (the debate's chat, the
 * transmission's texts and heatmap). They are discovered like the views: the default export of
 * `scenarios/<id>/view/panel.tsx` (a React component, with its own CSS imports) is drawn for runs
 * of the scenario whose view lives in the same folder. Scenarios without one add nothing.
 */
import type { ComponentType } from "react";
import { useViewer } from "../store.js";
import { VIEWS_BY_FOLDER, folderOf } from "./index.js";

function discoverPanels(): Record<string, ComponentType> {
  const modules = import.meta.glob<{ default?: unknown }>("../../../scenarios/*/view/panel.tsx", {
    eager: true,
  });
  const panels: Record<string, ComponentType> = {};
  for (const path of Object.keys(modules).sort()) {
    const panel = modules[path]!.default;
    const view = VIEWS_BY_FOLDER[folderOf(path)];
    if (typeof panel !== "function") {
      console.warn(`agora viewer: ${path} has no React component as its default export: skipped`);
      continue;
    }
    if (!view) {
      console.warn(
        `agora viewer: ${path} has no scenario view beside it (scenarios/<id>/view.ts): skipped`,
      );
      continue;
    }
    panels[view.id] = panel as ComponentType;
  }
  return panels;
}

/** Scenario id -> its panel. */
export const SCENARIO_PANELS: Readonly<Record<string, ComponentType>> = discoverPanels();

export function ScenarioPanels() {
  const scenario = useViewer((s) => s.view.run?.scenario);
  const Panel = scenario ? SCENARIO_PANELS[scenario] : undefined;
  return Panel ? <Panel /> : null;
}
