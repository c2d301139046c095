/**
 * A compressed prefix tree over strings. Looking up every stored key that is a prefix of a
 * path costs one pass over the path, however many keys are stored: that is what keeps ACL
 * decisions flat with thousands of `*` rules.
 */

interface Edge<T> {
  label: string;
  node: RadixNode<T>;
}

interface RadixNode<T> {
  /** Keyed by the first char code of the edge label. */
  edges: Map<number, Edge<T>> | undefined;
  value: T | undefined;
  hasValue: boolean;
}

function newNode<T>(): RadixNode<T> {
  return { edges: undefined, value: undefined, hasValue: false };
}

export class RadixTree<T> {
  private readonly root: RadixNode<T> = newNode<T>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: string): T | undefined {
    let node = this.root;
    let pos = 0;
    while (pos < key.length) {
      const edge = node.edges?.get(key.charCodeAt(pos));
      if (!edge || !key.startsWith(edge.label, pos)) return undefined;
      pos += edge.label.length;
      node = edge.node;
    }
    return node.hasValue ? node.value : undefined;
  }

  set(key: string, value: T): void {
    let node = this.root;
    let pos = 0;
    for (;;) {
      if (pos === key.length) {
        if (!node.hasValue) this.count++;
        node.value = value;
        node.hasValue = true;
        return;
      }
      const first = key.charCodeAt(pos);
      node.edges ??= new Map();
      const edge = node.edges.get(first);
      if (!edge) {
        const leaf = newNode<T>();
        node.edges.set(first, { label: key.slice(pos), node: leaf });
        node = leaf;
        pos = key.length;
        continue;
      }
      // Length of the common prefix of the edge label and the rest of the key.
      let common = 0;
      const max = Math.min(edge.label.length, key.length - pos);
      while (common < max && edge.label.charCodeAt(common) === key.charCodeAt(pos + common)) common++;
      if (common === edge.label.length) {
        node = edge.node;
        pos += common;
        continue;
      }
      // Split the edge where the key departs from it.
      const middle = newNode<T>();
      const tail: Edge<T> = { label: edge.label.slice(common), node: edge.node };
      middle.edges = new Map([[tail.label.charCodeAt(0), tail]]);
      edge.label = edge.label.slice(0, common);
      edge.node = middle;
      node = middle;
      pos += common;
    }
  }

  /** The longest stored key that is a prefix of `s` (the empty key counts). */
  longestPrefixOf(s: string): { key: string; value: T } | undefined {
    let node = this.root;
    let pos = 0;
    let best: { end: number; value: T } | undefined = node.hasValue ? { end: 0, value: node.value as T } : undefined;
    while (pos < s.length) {
      const edge = node.edges?.get(s.charCodeAt(pos));
      if (!edge || !s.startsWith(edge.label, pos)) break;
      pos += edge.label.length;
      node = edge.node;
      if (node.hasValue) best = { end: pos, value: node.value as T };
    }
    return best ? { key: s.slice(0, best.end), value: best.value } : undefined;
  }

  /** Calls `visit` for every stored key that is a prefix of `s`, shortest first. */
  forEachPrefixOf(s: string, visit: (value: T, keyLength: number) => void): void {
    let node = this.root;
    let pos = 0;
    if (node.hasValue) visit(node.value as T, 0);
    while (pos < s.length) {
      const edge = node.edges?.get(s.charCodeAt(pos));
      if (!edge || !s.startsWith(edge.label, pos)) return;
      pos += edge.label.length;
      node = edge.node;
      if (node.hasValue) visit(node.value as T, pos);
    }
  }

  /** Every entry, in no particular order. */
  *entries(): IterableIterator<[string, T]> {
    const stack: [string, RadixNode<T>][] = [["", this.root]];
    while (stack.length > 0) {
      const [prefix, node] = stack.pop() as [string, RadixNode<T>];
      if (node.hasValue) yield [prefix, node.value as T];
      if (node.edges) for (const edge of node.edges.values()) stack.push([prefix + edge.label, edge.node]);
    }
  }
}
