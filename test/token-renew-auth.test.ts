import { afterEach, beforeEach, expect, it } from "vitest";
import { permissionDenied } from "../src/framework/errors.js";
import { definePath, type BackendFactory } from "../src/framework/types.js";
import { startCoreServer, type CoreServer } from "./support/core-server.js";

// A minimal auth method: logs anyone in as "bob", and renews only while `allowRenew` holds.
let allowRenew = true;
const renewCalls: Array<Readonly<Record<string, unknown>>> = [];
const fakeAuth: BackendFactory = () => ({
  type: "fake",
  paths: [
    definePath({
      pattern: "login",
      operations: {
        update: () =>
          Promise.resolve({ authSpec: { policies: ["dev"], displayName: "bob", ttlSeconds: 600, internal: { user: "bob" } } }),
      },
    }),
  ],
  unauthenticatedPaths: ["login"],
  renewAuth: (_req, internal) => {
    renewCalls.push(internal);
    if (!allowRenew) return Promise.reject(permissionDenied("user bob is disabled"));
    return Promise.resolve();
  },
});

let s: CoreServer;
beforeEach(async () => {
  allowRenew = true;
  renewCalls.length = 0;
  s = await startCoreServer({ startMs: Date.UTC(2024, 0, 1), authBackends: { fake: fakeAuth } });
  await s.core.mounts.mount("auth", "fake", { type: "fake" });
});
afterEach(async () => {
  await s.close();
});

it("renewing a login's token asks the auth method that issued it, which may refuse", async () => {
  const login = await s.api("POST", "auth/fake/login", { body: {} });
  expect(login.status, JSON.stringify(login.body)).toBe(200);
  const token = (login.body?.auth as { client_token: string }).client_token;

  const ok = await s.api("POST", "auth/token/renew-self", { token, body: { increment: 300 } });
  expect(ok.status).toBe(200);
  expect(ok.body?.auth).toMatchObject({ client_token: token, lease_duration: 300 });
  expect(renewCalls).toEqual([{ user: "bob" }]);

  allowRenew = false;
  const refused = await s.api("POST", "auth/token/renew-self", { token, body: {} });
  expect(refused.status).toBe(403);
  expect(refused.body).toEqual({ errors: ["user bob is disabled"] });
  expect(renewCalls).toHaveLength(2);
});

it("tokens made by the token store itself do not consult another method", async () => {
  const r = await s.api("POST", "auth/token/create", { token: s.rootToken, body: { ttl: "1h" } });
  const token = (r.body?.auth as { client_token: string }).client_token;
  expect((await s.api("POST", "auth/token/renew-self", { token, body: {} })).status).toBe(200);
  expect(renewCalls).toHaveLength(0);
});
