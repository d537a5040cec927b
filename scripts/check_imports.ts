// deno-lint-ignore-file no-console -- a check script: it reports on its own terminal.
/**
 * The import check of `deno task ok`: reads the module graph of `main.ts` (`deno info --json`,
 * dynamic imports included) and fails when any import cycle exists or when a module imports
 * across the layers of docs/architecture.md.
 * @module
 */

/** A layer of the program, by path under the repository root. */
interface Layer {
  readonly name: string;
  readonly matches: (path: string) => boolean;
  /** The layers its modules may import (their own layer always included). */
  readonly mayImport: readonly string[];
  /** Single modules of other layers it may import as well. */
  readonly alsoModules?: readonly string[];
}

const CORE = (path: string) => /^src\/[^/]+\.ts$/.test(path);

/** The layers of docs/architecture.md, most dependent first. */
export const LAYERS: readonly Layer[] = [
  { name: "entry", matches: (p) => p === "main.ts", mayImport: ["cli", "core", "data"] },
  {
    name: "cli",
    matches: (p) => p.startsWith("src/cli/"),
    mayImport: ["config", "http", "mock", "core"],
  },
  { name: "config", matches: (p) => p.startsWith("src/config/"), mayImport: ["core"] },
  { name: "http", matches: (p) => p.startsWith("src/http/"), mayImport: ["core"] },
  {
    name: "mock",
    matches: (p) => p.startsWith("src/mock/"),
    mayImport: ["data"],
    alsoModules: ["src/api_shapes.ts", "src/bytes.ts", "src/timestamp.ts"],
  },
  { name: "core", matches: CORE, mayImport: [] },
  { name: "data", matches: (p) => p.endsWith(".json"), mayImport: [] },
];

/** The local module graph: each module's path (relative to the root) → the paths it imports. */
export type Graph = Map<string, string[]>;

/** Reads the graph of `entry` with `deno info --json`. */
export async function moduleGraph(root: URL, entry = "main.ts"): Promise<Graph> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: root,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`deno info --json ${entry} failed`);
  const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
    }[];
  };
  const local = (specifier: string) =>
    specifier.startsWith(root.href) ? specifier.slice(root.href.length) : undefined;
  const graph: Graph = new Map();
  for (const module of info.modules) {
    const from = local(module.specifier);
    if (from === undefined) continue;
    const targets = new Set<string>();
    for (const dependency of module.dependencies ?? []) {
      for (const target of [dependency.code?.specifier, dependency.type?.specifier]) {
        const path = target === undefined ? undefined : local(target);
        if (path !== undefined) targets.add(path);
      }
    }
    graph.set(from, [...targets]);
  }
  return graph;
}

/** Every import cycle of `graph`, each as the list of its modules (strongly connected components). */
export function findCycles(graph: Graph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfLoop = (graph.get(node) ?? []).includes(node);
      if (component.length > 1 || selfLoop) cycles.push(component.reverse());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

/** Every import that crosses the layers the wrong way, as `from → to (why)`. */
export function layerViolations(graph: Graph, layers: readonly Layer[] = LAYERS): string[] {
  const layerOf = (path: string) => layers.find((layer) => layer.matches(path));
  const problems: string[] = [];
  for (const [from, targets] of graph) {
    const source = layerOf(from);
    if (source === undefined) {
      problems.push(`${from}: in no layer of docs/architecture.md`);
      continue;
    }
    for (const to of targets) {
      const target = layerOf(to);
      const allowed = target !== undefined &&
        (target === source || source.mayImport.includes(target.name) ||
          (source.alsoModules ?? []).includes(to));
      if (!allowed) {
        problems.push(`${from} → ${to} (${source.name} may not import ${target?.name ?? to})`);
      }
    }
  }
  return problems;
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url);
  const graph = await moduleGraph(root);
  const cycles = findCycles(graph);
  const violations = layerViolations(graph);
  for (const cycle of cycles) console.error(`import cycle: ${[...cycle, cycle[0]].join(" → ")}`);
  for (const violation of violations) console.error(`layer violation: ${violation}`);
  if (cycles.length > 0 || violations.length > 0) Deno.exit(1);
  console.log(`imports: ${graph.size} modules, no cycle, layers respected`);
}
