import { afterAll, beforeAll } from "vitest";
import { startDevServer, type DevServer } from "../../src/server/dev.js";
import { silentLogger } from "../../src/server/logger.js";
import { client } from "./http.js";

export interface DevServerHandle {
  /** The server's base URL, once started. */
  readonly url: string;
  /** A client holding the root token. */
  readonly root: ReturnType<typeof client>;
}

/** An in-process dev server for one test file: started before its tests, closed after them. */
export function useDevServer(rootTokenId: string): DevServerHandle {
  const handle = {} as { url: string; root: ReturnType<typeof client>; dev?: DevServer };
  beforeAll(async () => {
    handle.dev = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0", rootTokenId });
    handle.url = handle.dev.addresses[0] as string;
    handle.root = client(handle.url, rootTokenId);
  });
  afterAll(async () => {
    await handle.dev?.close();
  });
  return handle;
}
