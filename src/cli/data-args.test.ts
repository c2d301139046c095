import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { DataArgError, parseDataArgs } from "./data-args.js";
import type { InStream } from "./io.js";

const stdin = (text: string) => Readable.from([Buffer.from(text)]) as unknown as InStream;
const noStdin = () => stdin("");

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mayfly-data-args-"));
  await writeFile(join(dir, "value.txt"), "from a file\n");
  await writeFile(join(dir, "body.json"), JSON.stringify({ a: "1", n: 5 }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("parseDataArgs", () => {
  it("reads key=value as strings, splitting at the first =", async () => {
    expect(await parseDataArgs(["a=b", "url=postgres://u:p@h/db?x=1", "empty="], { stdin: noStdin() })).toEqual({
      a: "b",
      url: "postgres://u:p@h/db?x=1",
      empty: "",
    });
  });

  it("reads k=@file as the file's contents, untrimmed", async () => {
    expect(await parseDataArgs([`v=@${join(dir, "value.txt")}`], { stdin: noStdin() })).toEqual({ v: "from a file\n" });
  });

  it("unescapes \\@ to a literal @", async () => {
    expect(await parseDataArgs(["email=\\@me"], { stdin: noStdin() })).toEqual({ email: "@me" });
  });

  it("reads k=- from stdin, once", async () => {
    expect(await parseDataArgs(["password=-"], { stdin: stdin("s3cret\n") })).toEqual({ password: "s3cret\n" });
    await expect(parseDataArgs(["a=-", "b=-"], { stdin: stdin("x") })).rejects.toThrow("Invalid key/value pair 'b=-': stdin already consumed");
  });

  it("merges a JSON object from stdin (-) and from @file", async () => {
    expect(await parseDataArgs(["-", "c=3"], { stdin: stdin('{"a":"1","b":true}') })).toEqual({ a: "1", b: true, c: "3" });
    expect(await parseDataArgs([`@${join(dir, "body.json")}`], { stdin: noStdin() })).toEqual({ a: "1", n: 5 });
    await expect(parseDataArgs(["-"], { stdin: stdin("[1]") })).rejects.toThrow(DataArgError);
  });

  it("turns repeated keys into a list", async () => {
    expect(await parseDataArgs(["p=a", "p=b", "p=c"], { stdin: noStdin() })).toEqual({ p: ["a", "b", "c"] });
  });

  it("rejects an argument without = in kvbuilder's words", async () => {
    await expect(parseDataArgs(["oops"], { stdin: noStdin() })).rejects.toThrow("Invalid key/value pair 'oops': format must be key=value");
  });

  it("reports an unreadable file", async () => {
    await expect(parseDataArgs([`v=@${join(dir, "missing")}`], { stdin: noStdin() })).rejects.toThrow("error reading file");
  });

  it("ignores empty arguments", async () => {
    expect(await parseDataArgs(["", "a=b"], { stdin: noStdin() })).toEqual({ a: "b" });
  });
});
