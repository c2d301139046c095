/**
 * A database that restarted while Mayfly was idle (a maintenance window, a failover) leaves
 * the connection pool holding sockets the server has closed. The first requests afterwards
 * must not fail for it: Vault's plugins (Go's database/sql) retry a query whose connection
 * turns out to be dead on a fresh one, and so must Mayfly.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mariadbTarget, postgresTarget, redisTarget, trialApi, type FaultTarget } from "./support/fault-targets.js";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";

let db: FaultTarget;
let server: DevServer;
const { api, issue, mountTarget } = trialApi(() => server);

describe.each([
  ["PostgreSQL", postgresTarget],
  ["MariaDB", mariadbTarget],
  ["Redis", redisTarget],
] as const)("%s restarts while the pool is idle", (_name, startTarget) => {
  beforeAll(async () => {
    db = await startTarget();
    server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0", rootTokenId: "root" });
    await mountTarget(db, "restarting", [["app", "1h"]], { max_open_connections: 4 });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await db?.stop();
  });

  it("the first issuances and revocations after the restart succeed", async () => {
    // Several at once, so that the pool holds several connections when the server goes.
    await Promise.all([issue(), issue(), issue(), issue()]);
    await db.pause();
    await db.resume();

    const issued = await Promise.all([issue(), issue(), issue(), issue()]);
    for (const cred of issued) expect(await db.canLogin(cred.username, cred.password)).toBe(true);
    for (const cred of issued) {
      const r = await api("PUT", "sys/leases/revoke", { lease_id: cred.leaseId });
      expect(r.status, JSON.stringify(r.body)).toBe(204);
      expect(await db.userExists(cred.username)).toBe(false);
    }
  }, 60_000);
});
