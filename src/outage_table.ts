/**
 * The valid outages of a run, held compactly: where each record's `id`, `begin` and `end` lie in
 * the body text, six numbers an outage, rather than an object and three strings. A million
 * outages take 24 MB here against about 155 MB as objects, and reading the body builds no string
 * per record — the garbage that dominated the read (docs/benchmarks.md, "Against the yardstick").
 * Strings are made only for what is used: the outages a site keeps, the ids a filter must look up.
 *
 * Records the body spells otherwise (escapes, other members, another order) are decoded once and
 * held in a second text, so that every outage is a span of one of two texts.
 * @module
 */

import type { Outage } from "./api_shapes.ts";
import { canonicalProblem, isRfc3339, readCanonical } from "./timestamp.ts";

/** Slots of {@link OutageTable}'s span array per outage. */
const SPAN = 6;

/** The outages, in body order: each field a span of the body text (or of the decoded text). */
export class OutageTable {
  /** How many outages the table holds. */
  readonly length: number;
  readonly #body: string;
  readonly #decoded: string;
  /** `id`, `begin` and `end` of outage `i` as `[start, end)` pairs from `SPAN * i`. */
  readonly #spans: Uint32Array;
  /** 1 where outage `i`'s fields lie in the decoded text; absent when none do. */
  readonly #inDecoded: Uint8Array | undefined;

  constructor(body: string, decoded: string, spans: Uint32Array, inDecoded?: Uint8Array) {
    this.#body = body;
    this.#decoded = decoded;
    this.#spans = spans;
    this.#inDecoded = inDecoded;
    this.length = spans.length / SPAN;
  }

  /** A table of already validated outages (a test's, a benchmark's). */
  static from(outages: readonly Outage[]): OutageTable {
    // Stryker disable next-line StringLiteral: every outage is decoded: the body is never read.
    const builder = new OutageTableBuilder("");
    for (const { id, begin, end } of outages) builder.addDecoded(id, begin, end);
    return builder.build();
  }

  /** The text outage `i`'s fields are spans of (for hashing an id where it lies). */
  textOf(i: number): string {
    return this.#inDecoded !== undefined && this.#inDecoded[i] === 1 ? this.#decoded : this.#body;
  }

  /** Where outage `i`'s `id` starts in {@link textOf}. */
  idStart(i: number): number {
    return this.#spans[SPAN * i];
  }

  /** Where outage `i`'s `id` ends (exclusive) in {@link textOf}. */
  idEnd(i: number): number {
    return this.#spans[SPAN * i + 1];
  }

  /** Whether outage `i`'s `id` is `id`, without making a string of it. */
  idIs(i: number, id: string): boolean {
    const start = this.#spans[SPAN * i];
    return this.#spans[SPAN * i + 1] - start === id.length && this.textOf(i).startsWith(id, start);
  }

  /** Outage `i`'s `id`. */
  id(i: number): string {
    return this.textOf(i).slice(this.#spans[SPAN * i], this.#spans[SPAN * i + 1]);
  }

  /** Outage `i`'s `begin`. */
  begin(i: number): string {
    return this.textOf(i).slice(this.#spans[SPAN * i + 2], this.#spans[SPAN * i + 3]);
  }

  /** Outage `i`'s `end`. */
  end(i: number): string {
    return this.textOf(i).slice(this.#spans[SPAN * i + 4], this.#spans[SPAN * i + 5]);
  }

  /** Outage `i` as an object. */
  at(i: number): Outage {
    return { id: this.id(i), begin: this.begin(i), end: this.end(i) };
  }

  /** Every outage as an object (tests, and callers that want the simple form). */
  toArray(): Outage[] {
    return Array.from({ length: this.length }, (_, i) => this.at(i));
  }
}

/** Builds an {@link OutageTable} record by record. */
export class OutageTableBuilder {
  readonly #body: string;
  #spans: Uint32Array;
  #count = 0;
  readonly #decodedParts: string[] = [];
  #decodedLength = 0;
  #inDecoded: Uint8Array | undefined;

  /** For the outages of `body`; `expected` sizes the first allocation. */
  constructor(body: string, expected = 1024) {
    this.#body = body;
    this.#spans = new Uint32Array(SPAN * Math.max(16, expected));
  }

  #slot(): number {
    if (SPAN * (this.#count + 1) > this.#spans.length) {
      const bigger = new Uint32Array(this.#spans.length * 2);
      bigger.set(this.#spans);
      this.#spans = bigger;
      if (this.#inDecoded !== undefined) {
        // Stryker disable next-line ArithmeticOperator: more flags than outages are never read.
        const flags = new Uint8Array(bigger.length / SPAN);
        flags.set(this.#inDecoded);
        this.#inDecoded = flags;
      }
    }
    return this.#count++;
  }

  /** Adds a valid outage whose fields are the body's spans as given (start, end pairs). */
  addSpans(
    idStart: number,
    idEnd: number,
    beginStart: number,
    beginEnd: number,
    endStart: number,
    endEnd: number,
  ): void {
    const k = SPAN * this.#slot();
    const spans = this.#spans;
    spans[k] = idStart;
    spans[k + 1] = idEnd;
    spans[k + 2] = beginStart;
    spans[k + 3] = beginEnd;
    spans[k + 4] = endStart;
    spans[k + 5] = endEnd;
  }

  /** Adds a valid outage from decoded strings. */
  addDecoded(id: string, begin: string, end: string): void {
    const i = this.#slot();
    this.#inDecoded ??= new Uint8Array(this.#spans.length / SPAN);
    this.#inDecoded[i] = 1;
    const at = this.#decodedLength;
    this.#decodedParts.push(id, begin, end);
    this.#decodedLength += id.length + begin.length + end.length;
    const b = at + id.length, e = b + begin.length;
    this.#spans.set([at, b, b, e, e, e + end.length], SPAN * i);
  }

  /** The table; the builder must not be used after. */
  build(): OutageTable {
    // Nearly full (as the body's size predicts for the API's records): kept as it is, rather
    // than copied, so that a million outages never need 48 MB of spans at once.
    const used = SPAN * this.#count;
    // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator: a view or a copy, the same spans.
    const spans = used * 8 >= this.#spans.length * 7
      ? this.#spans.subarray(0, used)
      : this.#spans.slice(0, used);
    // Stryker disable next-line MethodExpression: flags past the last outage are never read.
    const flags = this.#inDecoded?.slice(0, this.#count);
    return new OutageTable(this.#body, this.#decodedParts.join(""), spans, flags);
  }
}

/**
 * Whether `text[start, end)` is a valid RFC 3339 timestamp, as {@link isRfc3339} of that slice
 * says. The API's canonical shape is read in place by timestamp.ts's own fast path (no slice: a
 * million outages would make two million); any other text is sliced and left to {@link isRfc3339}.
 */
export function isRfc3339Span(text: string, start: number, end: number): boolean {
  if (readCanonical(text, start, end)) return canonicalProblem() === undefined;
  return isRfc3339(text.slice(start, end));
}
