// graphology's packages ship CommonJS-shaped typings that put the default export under
// `.default`, while at runtime a default import (ESM build or CJS module.exports) is the value
// itself. These are the values, correctly typed.
import graphology, { DirectedGraph, UndirectedGraph } from "graphology";
import completeModule from "graphology-generators/classic/complete.js";
import pathModule from "graphology-generators/classic/path.js";
import connectedCavemanModule from "graphology-generators/community/connected-caveman.js";
import erdosRenyiModule from "graphology-generators/random/erdos-renyi.js";

const unwrap = <M extends { default: unknown }>(module: M) => module as unknown as M["default"];

export const Graph = unwrap(graphology);
export type Graph = InstanceType<typeof Graph>;
export { DirectedGraph, UndirectedGraph };
export const complete = unwrap(completeModule);
export const path = unwrap(pathModule);
export const connectedCaveman = unwrap(connectedCavemanModule);
export const erdosRenyi = unwrap(erdosRenyiModule);
