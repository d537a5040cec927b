/**
 * The precedence of docs/spec.md §5 — flag > environment > `.env` > default — applied to an option table's
 * entries, with where each value came from for messages (`"--since"`, `KRAKENFLEX_SINCE (.env)`).
 * @module
 */

import type { BooleanSpec, GivenFlags, ListSpec, ValueSpec } from "./flags.ts";

/** A setting's text and where it came from, as messages name it. */
export interface Sourced {
  readonly text: string;
  readonly from: string;
}

/** Where environment variables come from: the real environment first, then `.env`. */
export type EnvLookup = (name: string) => Sourced | undefined;

/** The settings of one command line, resolved option by option on demand. */
export interface Settings {
  /** A value option's value: the flag's, else the environment's, else its default's. */
  value<T, D extends string | undefined>(
    spec: ValueSpec<T, D>,
  ): D extends string ? T : T | undefined;
  /** A repeatable option's values: every flag given, else the environment's, else the default's. */
  list<T>(spec: ListSpec<T>): T[];
  /** Whether a switch was given. */
  given(spec: BooleanSpec): boolean;
  /** The raw text that sets an option, and where it came from; `undefined` when unset. */
  source(spec: ValueSpec<unknown> | ListSpec<unknown>): Sourced | undefined;
}

/** Settings from the flags given and an environment look-up. */
export function createSettings(flags: GivenFlags, lookup: EnvLookup): Settings {
  const fromEnv = (env: string | undefined): Sourced | undefined => {
    if (env === undefined) return undefined;
    const entry = lookup(env);
    return entry === undefined ? undefined : { text: entry.text, from: `${env} (${entry.from})` };
  };
  const flagTexts = (flag: string | undefined) =>
    flag === undefined ? undefined : flags.values.get(flag);
  const settings: Settings = {
    value<T, D extends string | undefined>(spec: ValueSpec<T, D>) {
      const source = settings.source(spec as ValueSpec<unknown>);
      if (source !== undefined) return spec.parse(source.text, source.from);
      return (spec.default === undefined
        ? undefined
        : spec.parse(spec.default, "the default")) as D extends string ? T : T | undefined;
    },
    list<T>(spec: ListSpec<T>): T[] {
      const texts = flagTexts(spec.flag);
      if (texts !== undefined) {
        return texts.map((text) => spec.parse(text.trim(), `"--${spec.flag}"`));
      }
      const source = fromEnv(spec.env);
      if (source !== undefined) return [spec.parse(source.text, source.from)];
      return spec.default === undefined ? [] : [spec.parse(spec.default, "the default")];
    },
    given: (spec) => spec.flag !== undefined && flags.switches.has(spec.flag),
    source(spec) {
      const texts = flagTexts(spec.flag);
      if (texts !== undefined && texts.length > 0) {
        return { text: texts[texts.length - 1].trim(), from: `"--${spec.flag}"` };
      }
      return fromEnv(spec.env);
    },
  };
  return settings;
}
