/**
 * The `socket` audit device: entries go as lines over TCP, UDP or a Unix stream socket to
 * a collector (Vault's options: address, socket_type, write_timeout). The connection is
 * made on first use and made again after a failure; a write that fails twice, or takes
 * longer than write_timeout, fails the entry, so a request no device could record is
 * refused as with a file. As with Vault, a TCP write counts once the kernel accepted it,
 * and UDP (datagrams, no delivery) is as reliable as the network between.
 */
import dgram from "node:dgram";
import net from "node:net";
import type { AuditSink } from "./file.js";

export type SocketType = "tcp" | "udp" | "unix";

export interface SocketSinkOptions {
  address: string;
  socketType: SocketType;
  writeTimeoutMs: number;
}

export class SocketSink implements AuditSink {
  readonly target: string;
  private stream: net.Socket | undefined;
  private datagram: dgram.Socket | undefined;
  private closed = false;
  private pending: { lines: string[]; waiters: Array<{ resolve(): void; reject(e: unknown): void }> } | undefined;

  constructor(private readonly opts: SocketSinkOptions) {
    this.target = `${opts.socketType}:${opts.address}`;
  }

  /** Nothing to open yet: as Vault's, the device connects when it first writes. */
  open(): void {
    this.closed = false;
  }

  /** Connects (stream sockets); a datagram socket has nothing to check before it sends. */
  async probe(): Promise<void> {
    if (this.opts.socketType === "udp") return;
    await withTimeout(this.connected(), this.opts.writeTimeoutMs, this.target);
  }

  writeLine(line: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error("audit socket sink is closed"));
    let batch = this.pending;
    if (!batch) {
      batch = { lines: [], waiters: [] };
      this.pending = batch;
      setImmediate(() => void this.flush());
    }
    batch.lines.push(line);
    return new Promise((resolve, reject) => batch.waiters.push({ resolve, reject }));
  }

  reopen(): void {
    this.disconnect();
  }

  close(): void {
    this.closed = true;
    this.disconnect();
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = undefined;
    if (!batch) return;
    const payload = batch.lines.join("");
    try {
      try {
        await this.send(payload);
      } catch {
        // One fresh connection, as Vault's sink retries once after reconnecting.
        this.disconnect();
        await this.send(payload);
      }
      for (const w of batch.waiters) w.resolve();
    } catch (e) {
      this.disconnect();
      for (const w of batch.waiters) w.reject(e);
    }
  }

  private send(payload: string): Promise<void> {
    return withTimeout(this.opts.socketType === "udp" ? this.sendDatagram(payload) : this.sendStream(payload), this.opts.writeTimeoutMs, this.target);
  }

  private async sendStream(payload: string): Promise<void> {
    const socket = await this.connected();
    await new Promise<void>((resolve, reject) => {
      socket.write(payload, (err) => (err ? reject(err) : resolve()));
    });
  }

  private connected(): Promise<net.Socket> {
    const current = this.stream;
    if (current && !current.destroyed && !current.connecting) return Promise.resolve(current);
    return new Promise((resolve, reject) => {
      const socket =
        this.opts.socketType === "unix" ? net.connect({ path: this.opts.address }) : net.connect(hostPort(this.opts.address));
      socket.setNoDelay(true);
      this.stream = socket;
      socket.once("connect", () => {
        socket.off("error", reject);
        // Later errors (the collector went away) surface at the next write.
        socket.on("error", () => socket.destroy());
        resolve(socket);
      });
      socket.once("error", reject);
      // A collector that talks back is ignored; one that closes is reconnected to.
      socket.resume();
    });
  }

  private sendDatagram(payload: string): Promise<void> {
    const { host, port } = hostPort(this.opts.address);
    if (!this.datagram) {
      this.datagram = dgram.createSocket(net.isIPv6(host) ? "udp6" : "udp4");
      this.datagram.on("error", () => this.disconnect());
    }
    const socket = this.datagram;
    return new Promise((resolve, reject) => socket.send(payload, port, host, (err) => (err ? reject(err) : resolve())));
  }

  private disconnect(): void {
    this.stream?.destroy();
    this.stream = undefined;
    this.datagram?.close();
    this.datagram = undefined;
  }
}

function hostPort(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(address.trim());
  if (!m) throw new Error(`invalid socket address "${address}": expected host:port`);
  return { host: m[1] ?? (m[2] || "127.0.0.1"), port: Number(m[3]) };
}

function withTimeout<T>(work: Promise<T>, ms: number, target: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`audit socket ${target}: no progress within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

