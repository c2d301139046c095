/**
 * The tree both the HCL and the JSON reader produce. It follows HCL 1 (the dialect Vault
 * reads policies and server configs with): a body is an ordered list of items, each with one
 * or more keys (`path "secret/*" { ... }` has keys `path` and `secret/*`) and a value.
 * Repeated keys stay separate items, so repeated blocks keep their order and line numbers.
 */

export interface Position {
  /** 1-based. */
  readonly line: number;
  /** 1-based, in UTF-16 code units. */
  readonly column: number;
  /** 0-based index into the source text. */
  readonly offset: number;
}

export interface HclString extends Position {
  readonly type: "string";
  readonly value: string;
  /** Set when the string was written as a heredoc; `indent` is the `<<-` form. */
  readonly heredoc?: { readonly marker: string; readonly indent: boolean };
}

export interface HclNumber extends Position {
  readonly type: "number";
  readonly value: number;
  /** As written, so a formatter can print `0x1F` back unchanged. */
  readonly raw: string;
}

export interface HclBool extends Position {
  readonly type: "bool";
  readonly value: boolean;
}

export interface HclList extends Position {
  readonly type: "list";
  readonly items: readonly HclValue[];
  /** Position of the closing `]`. */
  readonly end: Position;
}

export interface HclObject extends Position {
  readonly type: "object";
  readonly items: readonly HclItem[];
  /** Position of the closing `}` (the end of input for a document's root). */
  readonly end: Position;
}

export type HclValue = HclString | HclNumber | HclBool | HclList | HclObject;

export interface HclKey extends Position {
  readonly name: string;
  /** Written as a string literal rather than a bare identifier. */
  readonly quoted: boolean;
}

export interface HclItem extends Position {
  /** At least one: the name, then any block labels. */
  readonly keys: readonly HclKey[];
  /** `key = value` rather than the block form `key { ... }`. */
  readonly assign: boolean;
  readonly value: HclValue;
  /** Position just past the item's last character. */
  readonly end: Position;
}

export interface HclComment extends Position {
  /** The comment as written, including its `#`, `//` or slash-star markers. */
  readonly text: string;
  readonly endLine: number;
  readonly endOffset: number;
}

export interface HclDocument {
  readonly format: "hcl" | "json";
  readonly body: HclObject;
  /** Every comment in source order (always empty for JSON). */
  readonly comments: readonly HclComment[];
}
