#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so `npx agora` needs no build step.
import { register } from "tsx/esm/api";

register();
await import("../sim/app/cli/main.ts");
