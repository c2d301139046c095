import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import { StubServer, run, type RecordedRequest } from "../testing.js";
import { addPrefixToKvPath, pathJoin } from "./kv-helpers.js";

const stub = new StubServer();
let addr = "";

const metadata = { created_time: "2024-01-01T00:00:00Z", custom_metadata: null, deletion_time: "", destroyed: false, version: 1 };

function preflight(req: RecordedRequest) {
  if (req.method !== "GET" || !req.path.startsWith("sys/internal/ui/mounts/")) return undefined;
  const p = req.path.slice("sys/internal/ui/mounts/".length);
  if (p === "secret" || p.startsWith("secret/")) return { body: { data: { path: "secret/", type: "kv", options: { version: "2" } } } };
  if (p === "kv1" || p.startsWith("kv1/")) return { body: { data: { path: "kv1/", type: "kv", options: null } } };
  if (p.startsWith("numeric/")) return { body: { data: { path: "numeric/", type: "kv", options: { version: 2 } } } };
  return {
    status: 403,
    body: { errors: [`preflight capability check returned 403, please ensure client's policies grant access to path "${p}/"`] },
  };
}

const kvRequests = () => stub.requests.filter((r) => !r.path.startsWith("sys/internal/ui/mounts/"));

beforeAll(async () => {
  addr = await stub.start();
  stub.onMatch(preflight);
});
afterAll(() => stub.close());
beforeEach(() => {
  stub.requests.length = 0;
});

describe("kv helpers", () => {
  it("rewrites v2 paths as Vault's addPrefixToKVPath", () => {
    expect(addPrefixToKvPath("secret/foo", "secret/", "data")).toBe("secret/data/foo");
    expect(addPrefixToKvPath("secret", "secret/", "metadata")).toBe("secret/metadata");
    expect(addPrefixToKvPath("team/a/b/c", "team/a/", "data")).toBe("team/a/data/b/c");
    expect(pathJoin("", "")).toBe("");
  });
});

describe("kv put", () => {
  it("wraps v2 data with options and prints the version metadata", async () => {
    stub.on("PUT", "secret/data/creds", { body: { data: metadata } });
    const r = await run(["kv", "put", "secret/creds", "foo=bar"], addr);
    expect(r.code).toBe(0);
    expect(stub.last().body).toEqual({ data: { foo: "bar" }, options: {} });
    expect(stub.requests[0]?.path).toBe("sys/internal/ui/mounts/secret/creds");
    expect(r.stdout).toBe(
      [
        "== Secret Path ==",
        "secret/data/creds",
        "",
        "======= Metadata =======",
        "Key                Value",
        "---                -----",
        "created_time       2024-01-01T00:00:00Z",
        "custom_metadata    <nil>",
        "deletion_time      n/a",
        "destroyed          false",
        "version            1",
        "",
      ].join("\n"),
    );
  });

  it("sends -cas and honours -mount", async () => {
    stub.on("PUT", "secret/data/app/db", { body: { data: metadata } });
    await run(["kv", "put", "-mount=secret", "-cas=0", "app/db", "pw=x"], addr);
    expect(stub.requests[0]?.path).toBe("sys/internal/ui/mounts/secret");
    expect(stub.last()).toMatchObject({ path: "secret/data/app/db", body: { data: { pw: "x" }, options: { cas: 0 } } });
  });

  it("writes v1 data as it is", async () => {
    stub.on("PUT", "kv1/foo", { status: 204 });
    const r = await run(["kv", "put", "kv1/foo", "a=b"], addr);
    expect(r).toMatchObject({ code: 0, stdout: "Success! Data written to: kv1/foo\n" });
    expect(stub.last().body).toEqual({ a: "b" });
  });

  it("accepts a numeric options.version from a lenient server", async () => {
    stub.on("PUT", "numeric/data/x", { body: { data: metadata } });
    await run(["kv", "put", "numeric/x", "a=b"], addr);
    expect(stub.last().path).toBe("numeric/data/x");
  });

  it("needs data, and reports a path under no mount with exit 2", async () => {
    expect(await run(["kv", "put", "secret/x"], addr)).toMatchObject({ code: 1, stderr: "Must supply data\n" });
    const r = await run(["kv", "put", "nomount/x", "a=b"], addr);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("preflight capability check returned 403");
    expect(kvRequests()).toHaveLength(0);
  });
});

describe("kv get", () => {
  const v2 = { request_id: "r", lease_id: "", lease_duration: 0, renewable: false, data: { data: { foo: "bar" }, metadata }, warnings: null };

  it("prints path, metadata and data sections for v2", async () => {
    stub.on("GET", "secret/data/creds", { body: v2 });
    const r = await run(["kv", "get", "secret/creds"], addr);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        "== Secret Path ==",
        "secret/data/creds",
        "",
        "======= Metadata =======",
        "Key                Value",
        "---                -----",
        "created_time       2024-01-01T00:00:00Z",
        "custom_metadata    <nil>",
        "deletion_time      n/a",
        "destroyed          false",
        "version            1",
        "",
        "=== Data ===",
        "Key    Value",
        "---    -----",
        "foo    bar",
        "",
      ].join("\n"),
    );
  });

  it("reads a version, a field, and the whole envelope as json", async () => {
    stub.on("GET", "secret/data/creds", { body: v2 });
    await run(["kv", "get", "-version=3", "secret/creds"], addr);
    expect(stub.last().query).toEqual({ version: "3" });
    expect((await run(["kv", "get", "-field=foo", "secret/creds"], addr)).stdout).toBe("bar");
    const json = JSON.parse((await run(["kv", "get", "-format=json", "secret/creds"], addr)).stdout);
    expect(json.data.data.foo).toBe("bar");
    expect(json.data.metadata.version).toBe(1);
  });

  it("shows a deleted version's metadata (404 with data) and fails -field", async () => {
    const deleted = { data: { data: null, metadata: { ...metadata, deletion_time: "2024-02-02T00:00:00Z", version: 2 } } };
    stub.on("GET", "secret/data/gone", { status: 404, body: deleted });
    const r = await run(["kv", "get", "secret/gone"], addr);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("deletion_time      2024-02-02T00:00:00Z");
    expect(r.stdout).not.toContain("Data ===");
    expect(await run(["kv", "get", "-field=foo", "secret/gone"], addr)).toMatchObject({ code: 2, stderr: "No data found at secret/data/gone\n" });
  });

  it("reads v1 without rewriting the path", async () => {
    stub.on("GET", "kv1/foo", { body: { lease_duration: 2764800, data: { a: "b" } } });
    const r = await run(["kv", "get", "kv1/foo"], addr);
    expect(r.stdout).toBe("== Data ==\nKey    Value\n---    -----\na      b\n");
  });

  it("exits 2 when nothing is there", async () => {
    expect(await run(["kv", "get", "secret/none"], addr)).toMatchObject({ code: 2, stderr: "No value found at secret/data/none\n" });
  });
});

describe("kv patch", () => {
  it("sends a merge patch to the data path", async () => {
    stub.on("PATCH", "secret/data/creds", { body: { data: { ...metadata, version: 2 } } });
    const r = await run(["kv", "patch", "secret/creds", "extra=1"], addr);
    expect(r.code).toBe(0);
    expect(stub.last()).toMatchObject({ method: "PATCH", body: { data: { extra: "1" }, options: {} } });
    expect(stub.last().headers["content-type"]).toBe("application/merge-patch+json");
  });

  it("falls back to read-then-write with cas when PATCH is refused", async () => {
    stub.on("PATCH", "secret/data/old", { status: 405, body: { errors: ["unsupported operation"] } });
    stub.on("GET", "secret/data/old", { body: { data: { data: { a: "1" }, metadata: { ...metadata, version: 4 } } } });
    stub.on("PUT", "secret/data/old", { body: { data: { ...metadata, version: 5 } } });
    const r = await run(["kv", "patch", "secret/old", "b=2"], addr);
    expect(r.code).toBe(0);
    expect(stub.last()).toMatchObject({ method: "PUT", body: { data: { a: "1", b: "2" }, options: { cas: 4 } } });
  });

  it("refuses KV v1", async () => {
    expect(await run(["kv", "patch", "kv1/foo", "a=b"], addr)).toMatchObject({ code: 2, stderr: "K/V engine mount must be version 2 for patch support\n" });
  });
});

describe("kv list, delete, undelete, destroy", () => {
  it("lists v2 through metadata/", async () => {
    stub.on("GET", "secret/metadata/app", { body: { data: { keys: ["db", "web/"] } } });
    const r = await run(["kv", "list", "secret/app/"], addr);
    expect(r).toMatchObject({ code: 0, stdout: "Keys\n----\ndb\nweb/\n" });
    expect(stub.last().query).toEqual({ list: "true" });
  });

  it("deletes the latest version, or chosen versions as strings", async () => {
    stub.on("DELETE", "secret/data/creds", { status: 204 });
    expect((await run(["kv", "delete", "secret/creds"], addr)).stdout).toBe("Success! Data deleted (if it existed) at: secret/data/creds\n");
    stub.on("PUT", "secret/delete/creds", { status: 204 });
    await run(["kv", "delete", "-versions=1,2", "-versions", "5", "secret/creds"], addr);
    expect(stub.last()).toMatchObject({ method: "PUT", path: "secret/delete/creds", body: { versions: ["1", "2", "5"] } });
  });

  it("undeletes and destroys with -versions, which they require", async () => {
    stub.on("PUT", "secret/undelete/creds", { status: 204 });
    stub.on("PUT", "secret/destroy/creds", { status: 204 });
    expect((await run(["kv", "undelete", "-versions=2", "secret/creds"], addr)).stdout).toBe("Success! Data written to: secret/undelete/creds\n");
    expect(stub.last().body).toEqual({ versions: ["2"] });
    await run(["kv", "destroy", "-versions=1", "secret/creds"], addr);
    expect(stub.last().path).toBe("secret/destroy/creds");
    const r = await run(["kv", "destroy", "secret/creds"], addr);
    expect(r).toMatchObject({ code: 1, stderr: 'No versions provided, use the "-versions" flag to specify the version to destroy.\n' });
    expect(await run(["kv", "undelete", "-versions=1", "kv1/foo"], addr)).toMatchObject({ code: 1, stderr: "Undelete not supported on KV Version 1\n" });
  });
});

describe("kv metadata", () => {
  it("puts only the given settings", async () => {
    stub.on("PUT", "secret/metadata/creds", { status: 204 });
    const r = await run(["kv", "metadata", "put", "-max-versions=5", "-cas-required", "-delete-version-after=1h", "-custom-metadata=owner=ops", "secret/creds"], addr);
    expect(r.stdout).toBe("Success! Data written to: secret/metadata/creds\n");
    expect(stub.last().body).toEqual({ max_versions: 5, cas_required: true, delete_version_after: "1h0m0s", custom_metadata: { owner: "ops" } });
    await run(["kv", "metadata", "put", "-custom-metadata=a=b", "secret/creds"], addr);
    expect(stub.last().body).toEqual({ custom_metadata: { a: "b" } });
  });

  it("gets metadata with one table per version", async () => {
    stub.on("GET", "secret/metadata/creds", {
      body: {
        data: {
          cas_required: false,
          current_version: 2,
          max_versions: 0,
          versions: { "2": { created_time: "t2", deletion_time: "", destroyed: false }, "1": { created_time: "t1", deletion_time: "", destroyed: true } },
        },
      },
    });
    const r = await run(["kv", "metadata", "get", "secret/creds"], addr);
    expect(r.code).toBe(0);
    expect(r.stdout.indexOf("=== Version 1 ===")).toBeLessThan(r.stdout.indexOf("=== Version 2 ==="));
    expect(r.stdout).toContain("=== Metadata Path ===\nsecret/metadata/creds\n\n");
    expect(r.stdout).toContain("current_version    2");
  });

  it("deletes metadata, and refuses v1", async () => {
    stub.on("DELETE", "secret/metadata/creds", { status: 204 });
    expect((await run(["kv", "metadata", "delete", "secret/creds"], addr)).stdout).toBe("Success! Data deleted (if it existed) at: secret/metadata/creds\n");
    expect(await run(["kv", "metadata", "get", "kv1/foo"], addr)).toMatchObject({ code: 1, stderr: "Metadata not supported on KV Version 1\n" });
  });
});
