export { buildGraph, buildSocialGraph, type BuildGraphOptions } from "./build.js";
export { graphConfigSchema, type GraphConfig, type GraphConfigInput } from "./config.js";
export { areAdjacent } from "./edges.js";
export { Graph } from "./graphology.js";
export { CompleteGraph, ExplicitGraph, type SocialGraph } from "./social.js";
export { graphStats, type GraphStats } from "./stats.js";
