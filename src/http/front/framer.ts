// Frames HTTP/1.x requests on one connection just well enough to find where each request
// head starts, so a leading `LIST ` can be rewritten there and nowhere else (a body that
// happens to start with "LIST " must pass untouched). Only heads, chunk-size lines and
// trailers are scanned; body bytes are skipped by count. Anything this framer does not
// understand exactly the way llhttp would switches the connection to pass-through: llhttp
// then sees the original bytes and answers (400, 431, upgrade) as it would without us.
import { equalsLowerAscii, findByte, findLineFeed, hexValue, isChunkedLast, parseDecimal } from "./bytes.js";

const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;

const LIST_PREFIX = Buffer.from("LIST ", "latin1");
const GET_PREFIX = Buffer.from("GET ", "latin1");
const CONNECT_PREFIX = Buffer.from("CONNECT ", "latin1");

// Longest chunk-size line (size plus extensions) we follow before giving up to llhttp.
const MAX_CHUNK_LINE_BYTES = 4096;
// 2^53 fits 13 hex digits (and 15 decimal ones, bytes.ts) without losing precision.
const MAX_CHUNK_SIZE_DIGITS = 13;
const MAX_KEPT_CARRY_BYTES = 1024;

const enum State {
  RequestStart,
  RequestLine,
  HeaderLine,
  Body,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailer,
  Passthrough,
}

export interface FramerOptions {
  /** Request line plus headers; a longer head switches the connection to pass-through. */
  maxHeaderBytes: number;
  /** Lower-case header name the front adds to a rewritten LIST request. */
  markerName: string;
  /** Full header line (with CRLF) inserted after a rewritten request line. */
  markerLine: Buffer;
  /** Same length as markerName: what a client-sent marker header is renamed to. */
  forgedName: string;
}

export type Emit = (piece: Buffer) => void;

export class RequestFramer {
  private state: State = State.RequestStart;
  // Bytes not passed on yet, always the start of a line whose fate (rewrite or not) is open.
  private held: Buffer | null = null;
  // Copy of the current line's bytes already passed on in earlier reads, to parse it whole:
  // carry[0, carryBytes). One buffer, grown by doubling, so a line trickled in byte by byte
  // costs memory in proportion to its length, not to the number of reads.
  private carry: Buffer | null = null;
  private carryBytes = 0;
  private atLineStart = false;
  // Bytes the current head, trailer section or chunk-size line may still take.
  private budgetBytes = 0;
  private remainingBytes = 0;

  private isList = false;
  private isConnect = false;
  private hasUpgrade = false;
  private contentLength = -1;
  private contentLengthValid = true;
  private transferEncoding: string | null = null;

  private readonly markerPrefix: Buffer;
  private readonly forgedName: Buffer;

  constructor(private readonly options: FramerOptions) {
    if (options.forgedName.length !== options.markerName.length) {
      throw new Error("forgedName must be as long as markerName");
    }
    this.markerPrefix = Buffer.from(`${options.markerName}:`, "latin1");
    this.forgedName = Buffer.from(options.forgedName, "latin1");
  }

  get passthrough(): boolean {
    return this.state === State.Passthrough;
  }

  /** True between requests with nothing held back: safe to close without cutting a request. */
  get idle(): boolean {
    return this.state === State.RequestStart && this.held === null;
  }

  /** Bytes held back at end of input; llhttp should still see them to report the truncation. */
  flush(): Buffer | null {
    const held = this.held;
    this.held = null;
    return held;
  }

  feed(input: Buffer, emit: Emit): void {
    if (this.state === State.Passthrough) {
      emit(input);
      return;
    }
    let chunk = input;
    if (this.held !== null) {
      chunk = Buffer.concat([this.held, input]);
      this.held = null;
    }
    const n = chunk.length;
    let i = 0;
    // chunk[from, i) has been decided on but not handed to emit yet.
    let from = 0;

    while (i < n) {
      const state: State = this.state;
      if (state === State.Body || state === State.ChunkData) {
        const take = Math.min(this.remainingBytes, n - i);
        i += take;
        this.remainingBytes -= take;
        if (this.remainingBytes === 0) {
          this.state = state === State.Body ? State.RequestStart : State.ChunkDataEnd;
          if (this.state === State.ChunkDataEnd) this.budgetBytes = MAX_CHUNK_LINE_BYTES;
        }
        continue;
      }
      if (state === State.RequestStart) {
        // llhttp skips empty lines before a request line; so do we.
        const c = chunk[i];
        if (c === CR || c === LF) {
          i++;
          continue;
        }
        this.startHead();
      }

      if (this.atLineStart) {
        const decision = this.decideLineStart(chunk, i, n);
        if (decision === LineStart.Hold) {
          if (from < i) emit(chunk.subarray(from, i));
          this.held = Buffer.from(chunk.subarray(i));
          return;
        }
        if (decision === LineStart.RewriteList) {
          if (from < i) emit(chunk.subarray(from, i));
          emit(GET_PREFIX);
          from = i + LIST_PREFIX.length;
        } else if (decision === LineStart.RenameMarker) {
          if (from < i) emit(chunk.subarray(from, i));
          emit(this.forgedName);
          from = i + this.forgedName.length;
        }
        this.atLineStart = false;
      }

      const lf = findLineFeed(chunk, i, n);
      const lineEnd = lf === -1 ? n : lf + 1;
      // A rewritten LIST line is passed on as it arrives and never parsed, so it may run to
      // llhttp's own limit: giving up on it before the marker is in would turn a list into a read.
      const rewrittenLine = this.isList && this.state === State.RequestLine;
      this.budgetBytes -= lineEnd - i;
      if (this.budgetBytes < 0 && !rewrittenLine) {
        this.state = State.Passthrough;
        this.carry = null;
        this.carryBytes = 0;
        break;
      }
      if (lf === -1) {
        if (!rewrittenLine) this.appendCarry(chunk, i, n);
        i = n;
        break;
      }
      // The complete line is line[start, end), in the chunk or, if it was split, in carry.
      let line = chunk;
      let start = i;
      let end = lf;
      if (this.carryBytes > 0) {
        this.appendCarry(chunk, i, lf);
        line = this.carry!;
        start = 0;
        end = this.carryBytes;
        this.carryBytes = 0;
        // Keep a small buffer for the next split line, not one grown for a rare long one.
        if (line.length > MAX_KEPT_CARRY_BYTES) this.carry = null;
      }
      if (end > start && line[end - 1] === CR) end--;
      const empty = end === start;
      i = lf + 1;

      switch (state) {
        case State.RequestStart:
        case State.RequestLine:
          this.isConnect = !this.isList && matchPrefix(line, start, end, CONNECT_PREFIX, false) === Match.Full;
          if (this.isList) {
            emit(chunk.subarray(from, i));
            emit(this.options.markerLine);
            from = i;
          }
          this.state = State.HeaderLine;
          this.atLineStart = true;
          break;
        case State.HeaderLine:
          if (empty) {
            this.endHead();
          } else {
            this.readHeader(line, start, end);
            this.atLineStart = true;
          }
          break;
        case State.ChunkSize:
          this.readChunkSize(line, start, end);
          break;
        case State.ChunkDataEnd:
          if (empty) {
            this.state = State.ChunkSize;
            this.budgetBytes = MAX_CHUNK_LINE_BYTES;
          } else {
            this.state = State.Passthrough;
          }
          break;
        case State.Trailer:
          if (empty) this.state = State.RequestStart;
          break;
      }
      if (this.state === State.Passthrough) break;
    }
    if (from < n) emit(from === 0 ? chunk : chunk.subarray(from));
  }

  private appendCarry(chunk: Buffer, start: number, end: number): void {
    const needed = this.carryBytes + (end - start);
    if (this.carry === null || this.carry.length < needed) {
      const grown = Buffer.allocUnsafe(Math.max(needed, 2 * (this.carry?.length ?? 64)));
      if (this.carry !== null) this.carry.copy(grown, 0, 0, this.carryBytes);
      this.carry = grown;
    }
    chunk.copy(this.carry, this.carryBytes, start, end);
    this.carryBytes = needed;
  }

  private startHead(): void {
    this.state = State.RequestLine;
    this.atLineStart = true;
    this.budgetBytes = this.options.maxHeaderBytes;
    this.isList = false;
    this.isConnect = false;
    this.hasUpgrade = false;
    this.contentLength = -1;
    this.contentLengthValid = true;
    this.transferEncoding = null;
  }

  private decideLineStart(chunk: Buffer, i: number, n: number): LineStart {
    if (this.state === State.RequestLine) {
      const match = matchPrefix(chunk, i, n, LIST_PREFIX, false);
      if (match === Match.Partial) return LineStart.Hold;
      if (match === Match.Full) {
        this.isList = true;
        return LineStart.RewriteList;
      }
      return LineStart.Keep;
    }
    // Header line: only a line naming the marker needs rewriting.
    const first = chunk[i];
    if (first !== this.markerPrefix[0] && first !== (this.markerPrefix[0]! & ~0x20)) return LineStart.Keep;
    const match = matchPrefix(chunk, i, n, this.markerPrefix, true);
    if (match === Match.Partial) return LineStart.Hold;
    return match === Match.Full ? LineStart.RenameMarker : LineStart.Keep;
  }

  private readHeader(line: Buffer, start: number, end: number): void {
    // Only names of 7, 14 and 17 bytes matter, so the colon is looked for no further.
    const colon = findByte(line, COLON, start, Math.min(end, start + 18));
    switch (colon - start) {
      case 14:
        if (equalsLowerAscii(line, start, "content-length")) {
          const value = parseDecimal(line, colon + 1, end);
          if (this.contentLength !== -1 || value < 0) this.contentLengthValid = false;
          this.contentLength = value;
        }
        break;
      case 17:
        if (equalsLowerAscii(line, start, "transfer-encoding")) {
          const value = line.toString("latin1", colon + 1, end);
          this.transferEncoding = this.transferEncoding === null ? value : `${this.transferEncoding},${value}`;
        }
        break;
      case 7:
        if (equalsLowerAscii(line, start, "upgrade")) this.hasUpgrade = true;
        break;
    }
  }

  private endHead(): void {
    if (this.isConnect || this.hasUpgrade || !this.contentLengthValid) {
      this.state = State.Passthrough;
    } else if (this.transferEncoding !== null) {
      if (this.contentLength !== -1 || !isChunkedLast(this.transferEncoding)) {
        this.state = State.Passthrough;
      } else {
        this.state = State.ChunkSize;
        this.budgetBytes = MAX_CHUNK_LINE_BYTES;
      }
    } else if (this.contentLength > 0) {
      this.state = State.Body;
      this.remainingBytes = this.contentLength;
    } else {
      this.state = State.RequestStart;
    }
  }

  private readChunkSize(line: Buffer, start: number, end: number): void {
    let size = 0;
    let k = start;
    for (; k < end; k++) {
      const digit = hexValue(line[k]!);
      if (digit < 0) break;
      size = size * 16 + digit;
    }
    // llhttp allows only `;extension` after the size; anything else is its call to refuse.
    const digits = k - start;
    const valid = digits > 0 && digits <= MAX_CHUNK_SIZE_DIGITS && (k === end || line[k] === 0x3b);
    if (!valid) {
      this.state = State.Passthrough;
    } else if (size === 0) {
      this.state = State.Trailer;
      this.budgetBytes = this.options.maxHeaderBytes;
    } else {
      this.state = State.ChunkData;
      this.remainingBytes = size;
    }
  }
}

const enum LineStart {
  Keep,
  Hold,
  RewriteList,
  RenameMarker,
}

const enum Match {
  None,
  Partial,
  Full,
}

function matchPrefix(chunk: Buffer, i: number, n: number, prefix: Buffer, ignoreCase: boolean): Match {
  const available = Math.min(n - i, prefix.length);
  for (let k = 0; k < available; k++) {
    const c = chunk[i + k]!;
    if ((ignoreCase ? c | 0x20 : c) !== prefix[k]) return Match.None;
  }
  return available === prefix.length ? Match.Full : Match.Partial;
}
