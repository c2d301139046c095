/**
 * Rules with `+` segments, in a tree over path segments: a request walks only the branches
 * its own segments (or `+`) lead to, instead of testing every rule as Vault's loop does.
 */
import { RadixTree } from "./radix.js";

export interface WildcardCandidate<P> {
  /** Index of the first `+` (or, for a plain `*` rule, of the `*`). */
  readonly firstWildcard: number;
  readonly isPrefix: boolean;
  /** Number of `+` segments. */
  readonly wildcards: number;
  /** The pattern without its trailing `*`. */
  readonly wcPath: string;
  readonly perms: P;
}

export interface SegmentRule<P> extends WildcardCandidate<P> {
  readonly fullPath: string;
  readonly parts: readonly string[];
}

interface SegmentNode<P> {
  literal: Map<string, SegmentNode<P>> | undefined;
  plus: SegmentNode<P> | undefined;
  /** A rule without a trailing `*` that ends at this depth. */
  exact: SegmentRule<P> | undefined;
  /** Rules whose last segment is a `*` glob, keyed by that segment without the `*`. */
  prefixEnds: RadixTree<SegmentRule<P>> | undefined;
}

function newNode<P>(): SegmentNode<P> {
  return { literal: undefined, plus: undefined, exact: undefined, prefixEnds: undefined };
}

export function describeSegmentRule<P>(fullPath: string, perms: P): SegmentRule<P> {
  const isPrefix = fullPath.endsWith("*");
  const wcPath = isPrefix ? fullPath.slice(0, -1) : fullPath;
  const parts = wcPath.split("/");
  return {
    fullPath,
    wcPath,
    isPrefix,
    parts,
    firstWildcard: fullPath.indexOf("+"),
    wildcards: parts.filter((p) => p === "+").length,
    perms,
  };
}

export class SegmentTree<P> {
  private readonly root: SegmentNode<P> = newNode<P>();
  readonly rules: SegmentRule<P>[] = [];

  add(rule: SegmentRule<P>): void {
    this.rules.push(rule);
    const walkTo = rule.isPrefix ? rule.parts.length - 1 : rule.parts.length;
    let node = this.root;
    for (let i = 0; i < walkTo; i++) node = child(node, rule.parts[i] as string);
    if (rule.isPrefix) {
      node.prefixEnds ??= new RadixTree();
      node.prefixEnds.set(rule.parts[rule.parts.length - 1] as string, rule);
    } else {
      node.exact = rule;
    }
  }

  get size(): number {
    return this.rules.length;
  }

  /**
   * The highest-priority rule matching `path` (see yieldsTo), or `start` when none beats it.
   * Walks the path in place rather than splitting it: most requests share no first segment
   * with any `+` rule and cost one map lookup here.
   */
  best(path: string, start: WildcardCandidate<P> | undefined): WildcardCandidate<P> | undefined {
    const holder = { best: start };
    walk(this.root, path, 0, holder);
    return holder.best;
  }
}

function child<P>(node: SegmentNode<P>, part: string): SegmentNode<P> {
  if (part === "+") return (node.plus ??= newNode<P>());
  node.literal ??= new Map();
  let next = node.literal.get(part);
  if (!next) {
    next = newNode<P>();
    node.literal.set(part, next);
  }
  return next;
}

/**
 * `pos` is where the current segment starts; `path.length + 1` means every segment has been
 * consumed (the path "a/" has two segments, the second empty, as strings.Split gives).
 */
function walk<P>(node: SegmentNode<P>, path: string, pos: number, holder: { best: WildcardCandidate<P> | undefined }): void {
  if (pos > path.length) {
    if (node.exact) consider(holder, node.exact);
    return;
  }
  let end = path.indexOf("/", pos);
  if (end < 0) end = path.length;
  const segment = path.slice(pos, end);
  if (node.prefixEnds) node.prefixEnds.forEachPrefixOf(segment, (rule) => consider(holder, rule));
  const lit = node.literal?.get(segment);
  if (lit) walk(lit, path, end + 1, holder);
  if (node.plus) walk(node.plus, path, end + 1, holder);
}

function consider<P>(holder: { best: WildcardCandidate<P> | undefined }, rule: WildcardCandidate<P>): void {
  if (holder.best === undefined || yieldsTo(holder.best, rule)) holder.best = rule;
}

/**
 * Vault's ordering of matching wildcard rules (vault/acl.go, CheckAllowedFromNonExactPaths):
 * true when `a` yields to `b`. Later first wildcard wins; then a rule not ending in `*`;
 * then fewer `+`; then the longer pattern; then the lexically greater one.
 */
export function yieldsTo<P>(a: WildcardCandidate<P>, b: WildcardCandidate<P>): boolean {
  if (a.firstWildcard !== b.firstWildcard) return a.firstWildcard < b.firstWildcard;
  if (a.isPrefix !== b.isPrefix) return a.isPrefix;
  if (a.wildcards !== b.wildcards) return a.wildcards > b.wildcards;
  if (a.wcPath.length !== b.wcPath.length) return a.wcPath.length < b.wcPath.length;
  return a.wcPath < b.wcPath;
}
