/**
 * What a scenario's panels (`scenarios/<id>/view/panel.tsx`, default export: a React component
 * drawn below the graph row) import from the viewer core: the store, the panel frame, charts and
 * shared widgets. Panels are discovered like views (panels.tsx).
 */
export { selectAgent, useViewer } from "../store.js";
export { MindBadge, Panel } from "../components/common.js";
export { UPlotChart } from "../components/UPlotChart.js";
export { ExpandableText } from "../components/ExpandableText.js";
