import assert from "node:assert/strict";
import { findCycles, type Graph, layerViolations } from "../scripts/check_imports.ts";

Deno.test("findCycles: none in a tree, every member of each cycle otherwise", () => {
  const tree: Graph = new Map([["a", ["b", "c"]], ["b", ["c"]], ["c", []]]);
  assert.deepEqual(findCycles(tree), []);
  const cyclic: Graph = new Map([
    ["main.ts", ["src/cli/main.ts"]],
    ["src/cli/main.ts", ["src/cli/demo_command.ts"]],
    ["src/cli/demo_command.ts", ["src/cli/main.ts"]],
    ["src/x.ts", ["src/x.ts"]],
  ]);
  const cycles = findCycles(cyclic).map((cycle) => [...cycle].sort());
  assert.deepEqual(cycles.sort(), [
    ["src/cli/demo_command.ts", "src/cli/main.ts"],
    ["src/x.ts"],
  ]);
});

Deno.test("layerViolations: the core imports no edge; the emulator only the shapes and timestamps", () => {
  const graph: Graph = new Map([
    ["src/sync.ts", ["src/http/client.ts", "src/filter.ts"]],
    ["src/mock/handler.ts", ["src/timestamp.ts", "src/validate.ts"]],
    ["src/cli/main.ts", ["src/config/flags.ts", "src/outcome.ts"]],
    ["src/elsewhere/x.ts", []],
  ]);
  assert.deepEqual(layerViolations(graph), [
    "src/sync.ts → src/http/client.ts (core may not import http)",
    "src/mock/handler.ts → src/validate.ts (mock may not import core)",
    "src/elsewhere/x.ts: in no layer of docs/architecture.md",
  ]);
});

Deno.test("the program's own graph has no cycle and respects the layers", async () => {
  const { moduleGraph } = await import("../scripts/check_imports.ts");
  const graph = await moduleGraph(new URL("../", import.meta.url));
  assert.ok(graph.has("src/cli/main.ts"), "dynamic imports are followed");
  assert.ok(graph.has("src/cli/mock_api_command.ts"));
  assert.deepEqual(findCycles(graph), []);
  assert.deepEqual(layerViolations(graph), []);
});
