import { describe, expect, it } from "vitest";
import type { MountEntry } from "./mount-entry.js";
import { Router } from "./router.js";

function mount(path: string): { entry: MountEntry } {
  return { entry: { path, kind: "secret" } as unknown as MountEntry };
}

describe("Router.match", () => {
  const router = new Router<{ entry: MountEntry }>();
  router.add(mount("secret/"));
  router.add(mount("team/kv/"));

  it("finds the longest mount prefix, with or without the trailing slash", () => {
    expect(router.match("secret/data/x")?.relativePath).toBe("data/x");
    expect(router.match("secret")?.prefix).toBe("secret/");
    expect(router.match("team/kv/a/b")?.relativePath).toBe("a/b");
    expect(router.match("team/other")).toBeUndefined();
  });

  it("ends for paths of nothing but slashes or starting with one (was an endless loop)", () => {
    for (const path of ["", "/", "//", "/secret/x", "/x/", "a//"]) expect(router.match(path)).toBeUndefined();
  });
});

describe("Router.match over a changing table", () => {
  it("answers each change at once, though it remembers recent routes", () => {
    const router = new Router<{ entry: MountEntry }>();
    expect(router.match("a/b/c")).toBeUndefined();
    router.add(mount("a/"));
    expect(router.match("a/b/c")?.prefix).toBe("a/");
    router.add(mount("a/b/"));
    expect(router.match("a/b/c")).toMatchObject({ prefix: "a/b/", relativePath: "c" });
    router.remove("a/b/");
    expect(router.match("a/b/c")?.prefix).toBe("a/");
    router.clear();
    expect(router.match("a/b/c")).toBeUndefined();
  });

  it("keeps answering right past the number of routes it remembers", () => {
    const router = new Router<{ entry: MountEntry }>();
    router.add(mount("kv/"));
    for (let i = 0; i < 2000; i++) expect(router.match(`kv/k${i}`)?.relativePath).toBe(`k${i}`);
    for (let i = 0; i < 2000; i++) expect(router.match(`other/k${i}`)).toBeUndefined();
    expect(router.match("kv/k0")?.relativePath).toBe("k0");
    const long = `kv/${"x".repeat(600)}`;
    expect(router.match(long)?.relativePath).toBe("x".repeat(600));
    router.remove("kv/");
    expect(router.match(long)).toBeUndefined();
  });
});
