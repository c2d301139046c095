import { Duplex } from "node:stream";
import type net from "node:net";
import type tls from "node:tls";
import type { X509Certificate } from "node:crypto";
import type { RequestFramer } from "./framer.js";

/**
 * What http.Server gets instead of the accepted socket: the client's bytes after framing
 * (LIST rewritten), and everything else — writes, timeouts, addresses, TLS state — forwarded
 * to the real socket. It has no `_handle`, so http.Server reads it through 'data' events
 * rather than consuming the handle natively, which is what lets the framer see the bytes.
 */
export class FrontSocket extends Duplex {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly remoteFamily: string | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  readonly connecting = false;

  private readonly raw: net.Socket;
  private readonly framer: RequestFramer;
  private pausedForBackPressure = false;
  private pendingWriteCallback: ((error?: Error | null) => void) | null = null;
  private readonly pushPiece: (piece: Buffer) => void;

  constructor(raw: net.Socket, framer: RequestFramer) {
    super({
      allowHalfOpen: true,
      // Strings from http.Server go to the socket as they are; net encodes them natively.
      decodeStrings: false,
      readableHighWaterMark: raw.readableHighWaterMark,
      writableHighWaterMark: raw.writableHighWaterMark,
    });
    this.raw = raw;
    this.framer = framer;
    // Read once: a destroyed net.Socket forgets its addresses, and handlers may log them late.
    this.remoteAddress = raw.remoteAddress;
    this.remotePort = raw.remotePort;
    this.remoteFamily = raw.remoteFamily;
    this.localAddress = raw.localAddress;
    this.localPort = raw.localPort;

    this.pushPiece = (piece) => {
      if (!this.push(piece) && !this.pausedForBackPressure) {
        this.pausedForBackPressure = true;
        raw.pause();
      }
    };
    raw.on("data", (chunk: Buffer) => this.framer.feed(chunk, this.pushPiece));
    raw.on("end", () => {
      const held = this.framer.flush();
      if (held !== null) this.push(held);
      this.push(null);
    });
    raw.on("drain", () => {
      const callback = this.pendingWriteCallback;
      this.pendingWriteCallback = null;
      callback?.();
    });
    raw.on("timeout", () => this.emit("timeout"));
    // The raw socket keeps this listener for life, so a late ECONNRESET never goes unhandled.
    // An error is passed on only to someone listening: http.Server always is, but a socket
    // handed to an 'upgrade' or 'connect' handler may not be, and a client's reset must not
    // take the whole server down.
    raw.on("error", (error) => {
      if (this.destroyed) return;
      this.destroy(this.listenerCount("error") > 0 ? error : undefined);
    });
    raw.on("close", () => {
      if (!this.destroyed) this.destroy();
    });
  }

  /** Bytes read from the socket before this wrapper existed (the lane's), passed on first. */
  replay(unread: Buffer): void {
    this.framer.feed(unread, this.pushPiece);
  }

  get bytesRead(): number {
    return this.raw.bytesRead;
  }

  get bytesWritten(): number {
    return this.raw.bytesWritten;
  }

  get readyState(): net.SocketReadyState {
    return this.raw.readyState;
  }

  get timeout(): number | undefined {
    return this.raw.timeout;
  }

  /** The socket http.Server never sees; for code that needs more than this class forwards. */
  get underlyingSocket(): net.Socket {
    return this.raw;
  }

  override _read(): void {
    if (this.pausedForBackPressure) {
      this.pausedForBackPressure = false;
      this.raw.resume();
    }
  }

  override _write(chunk: Buffer | string, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.raw.write(chunk, encoding)) callback();
    else this.pendingWriteCallback = callback;
  }

  override _writev(
    chunks: Array<{ chunk: Buffer | string; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    const raw = this.raw;
    raw.cork();
    let flowing = true;
    for (const { chunk, encoding } of chunks) flowing = raw.write(chunk, encoding);
    raw.uncork();
    if (flowing) callback();
    else this.pendingWriteCallback = callback;
  }

  override _final(callback: (error?: Error | null) => void): void {
    // Finish only once the socket has flushed: destroySoon() destroys right after 'finish'.
    this.raw.end();
    if (this.raw.writableFinished) callback();
    else this.raw.once("finish", () => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.pendingWriteCallback = null;
    this.raw.destroy();
    callback(error);
  }

  /** net.Socket's: end, then destroy once everything is flushed. http.Server calls it. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once("finish", () => this.destroy());
  }

  setTimeout(timeoutMs: number, callback?: () => void): this {
    this.raw.setTimeout(timeoutMs);
    if (callback !== undefined) {
      if (timeoutMs === 0) this.removeListener("timeout", callback);
      else this.once("timeout", callback);
    }
    return this;
  }

  setNoDelay(noDelay?: boolean): this {
    this.raw.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, initialDelayMs?: number): this {
    this.raw.setKeepAlive(enable, initialDelayMs);
    return this;
  }

  address(): ReturnType<net.Socket["address"]> {
    return this.raw.address();
  }

  ref(): this {
    this.raw.ref();
    return this;
  }

  unref(): this {
    this.raw.unref();
    return this;
  }

  // net.Socket's private hook, which http.Server calls on sockets whose handle it consumes:
  // never this one today, but a call must not throw if that changes.
  _unrefTimer(): void {
    (this.raw as net.Socket & { _unrefTimer?: () => void })._unrefTimer?.();
  }
}

/**
 * A FrontSocket over a TLSSocket: adds what code reading TLS state expects of `req.socket`
 * (an auth method reads the client certificate here). Plain connections get the base class,
 * which, like net.Socket, has none of these, so `socket.encrypted` tells the two apart.
 */
export class TlsFrontSocket extends FrontSocket {
  readonly encrypted = true;
  private readonly tlsSocket: tls.TLSSocket;

  constructor(raw: tls.TLSSocket, framer: RequestFramer) {
    super(raw, framer);
    this.tlsSocket = raw;
  }

  get authorized(): boolean {
    return this.tlsSocket.authorized;
  }

  get authorizationError(): Error | undefined {
    return this.tlsSocket.authorizationError;
  }

  get alpnProtocol(): string | false | null {
    return this.tlsSocket.alpnProtocol;
  }

  getPeerCertificate(detailed: true): tls.DetailedPeerCertificate;
  getPeerCertificate(detailed?: false): tls.PeerCertificate;
  getPeerCertificate(detailed?: boolean): tls.PeerCertificate | tls.DetailedPeerCertificate;
  getPeerCertificate(detailed?: boolean): tls.PeerCertificate | tls.DetailedPeerCertificate {
    return this.tlsSocket.getPeerCertificate(detailed);
  }

  getPeerX509Certificate(): X509Certificate | undefined {
    return this.tlsSocket.getPeerX509Certificate();
  }

  getCipher(): tls.CipherNameAndProtocol {
    return this.tlsSocket.getCipher();
  }

  getProtocol(): string | null {
    return this.tlsSocket.getProtocol();
  }

  isSessionReused(): boolean {
    return this.tlsSocket.isSessionReused();
  }
}
