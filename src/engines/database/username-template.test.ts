import { describe, expect, it } from "vitest";
import { isMayflyError } from "../../framework/errors.js";
import { parseUsernameTemplate, truncateBytes } from "./username-template.js";

const meta = { displayName: "token-alice-example", roleName: "readonly-analytics" };

const POSTGRES_DEFAULT =
  '{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 20) (unix_time) | truncate 63 }}';
const MYSQL_LEGACY_DEFAULT = '{{ printf "v-%s-%s-%s" (.RoleName | truncate 4) (random 20) | truncate 16 }}';

function render(source: string, m = meta): string {
  return parseUsernameTemplate(source).generate(m);
}

function badRequestMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isMayflyError(e) && e.status === 400) return e.message;
    throw e;
  }
  throw new Error("expected a bad request");
}

describe("username templates", () => {
  it("renders Vault's PostgreSQL default: v-<display 8>-<role 8>-<random 20>-<unix>", () => {
    const before = Math.floor(Date.now() / 1000);
    const name = render(POSTGRES_DEFAULT);
    const m = /^v-token-al-readonly-([0-9A-Za-z]{20})-(\d+)$/.exec(name);
    expect(m).not.toBeNull();
    expect(Number(m?.[2])).toBeGreaterThanOrEqual(before);
    expect(Number(m?.[2])).toBeLessThanOrEqual(before + 2);
    expect(name.length).toBeLessThanOrEqual(63);
  });

  it("gives a fresh random part every time", () => {
    const t = parseUsernameTemplate(POSTGRES_DEFAULT);
    const names = new Set(Array.from({ length: 200 }, () => t.generate(meta)));
    expect(names.size).toBe(200);
  });

  it("cuts the legacy MySQL template to 16 characters", () => {
    const name = render(MYSQL_LEGACY_DEFAULT);
    expect(name).toHaveLength(16);
    expect(name.startsWith("v-read-")).toBe(true);
  });

  it("applies string functions through pipelines", () => {
    expect(render("{{ .RoleName | uppercase }}")).toBe("READONLY-ANALYTICS");
    expect(render('{{ .RoleName | replace "-" "_" | uppercase }}')).toBe("READONLY_ANALYTICS");
    expect(render("{{ .DisplayName | lowercase | truncate 5 }}")).toBe("token");
    expect(render("{{ .RoleName | base64 }}")).toBe(Buffer.from(meta.roleName).toString("base64"));
    expect(render("{{ sha256 .RoleName }}")).toMatch(/^[0-9a-f]{64}$/);
    expect(render("{{ (.RoleName | truncate 3) }}")).toBe("rea");
  });

  it("keeps the text around actions and honours trim markers", () => {
    expect(render("user-{{.RoleName | truncate 4}}-x")).toBe("user-read-x");
    expect(render("a  {{- .RoleName | truncate 2 -}}  b")).toBe("areb");
    expect(render("a{{/* a comment */}}b")).toBe("ab");
  });

  it("truncate_sha256 keeps the head and replaces the tail by 8 hex digits of its hash", () => {
    const out = render("{{ .DisplayName | truncate_sha256 12 }}");
    expect(out).toHaveLength(12);
    expect(out.startsWith("toke")).toBe(true);
    expect(out.slice(4)).toMatch(/^[0-9a-f]{8}$/);
    expect(render("{{ .RoleName | truncate_sha256 40 }}")).toBe(meta.roleName);
  });

  it("formats printf verbs as Go does", () => {
    expect(render('{{ printf "%s=%d" "n" 5 }}')).toBe("n=5");
    expect(render('{{ printf "%05d|%-4s|%4s" 42 "ab" "cd" }}')).toBe("00042|ab  |  cd");
    expect(render('{{ printf "%s-%s" "a" }}')).toBe("a-%!s(MISSING)");
    expect(render('{{ printf "%d" "x" }}')).toBe("%!d(string=x)");
    expect(render('{{ printf "100%%" }}')).toBe("100%");
  });

  it("provides time and uuid functions", () => {
    expect(render("{{ unix_time_millis }}")).toMatch(/^\d{13}$/);
    expect(render('{{ timestamp "2006" }}')).toBe(String(new Date().getFullYear()));
    expect(render("{{ uuid }}")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(render("{{ random 32 }}")).toMatch(/^[0-9A-Za-z]{32}$/);
  });

  it("truncates by UTF-8 bytes without splitting a character", () => {
    expect(truncateBytes("héllo", 2)).toBe("h");
    expect(truncateBytes("héllo", 3)).toBe("hé");
    expect(render("{{ .DisplayName | truncate 3 }}", { displayName: "ééé", roleName: "" })).toBe("é");
  });

  it("refuses malformed templates with a 400 that says what is wrong", () => {
    expect(badRequestMessage(() => parseUsernameTemplate("{{ .RoleName "))).toMatch(/unable to parse template: unclosed action/);
    expect(badRequestMessage(() => parseUsernameTemplate("{{ nosuchfn 3 }}"))).toMatch(/function "nosuchfn" not defined/);
    expect(badRequestMessage(() => parseUsernameTemplate("{{ if .RoleName }}x{{ end }}"))).toMatch(/"if" is not supported/);
    expect(badRequestMessage(() => parseUsernameTemplate("{{ $x := 1 }}"))).toMatch(/variables are not supported/);
    expect(badRequestMessage(() => parseUsernameTemplate("{{ (.RoleName }}"))).toMatch(/unclosed left paren/);
    expect(badRequestMessage(() => parseUsernameTemplate('{{ "abc }}'))).toMatch(/unterminated|unclosed/);
    expect(badRequestMessage(() => parseUsernameTemplate(""))).toMatch(/missing template/);
    expect(badRequestMessage(() => parseUsernameTemplate("{{ }}"))).toMatch(/missing value/);
    expect(badRequestMessage(() => parseUsernameTemplate("{{ .RoleName 3 }}"))).toMatch(/non-function/);
  });

  it("refuses at parse time what could only fail when rendering", () => {
    expect(badRequestMessage(() => parseUsernameTemplate("{{ .Nope }}"))).toMatch(/invalid username template: .*can't evaluate field Nope/);
    expect(badRequestMessage(() => parseUsernameTemplate('{{ .RoleName | truncate "8" }}'))).toMatch(/expected int; got string/);
    expect(badRequestMessage(() => parseUsernameTemplate("{{ .RoleName | truncate 0 }}"))).toMatch(/max length must be > 0/);
    expect(badRequestMessage(() => parseUsernameTemplate("{{ truncate 3 }}"))).toMatch(/wrong number of args for truncate/);
    expect(badRequestMessage(() => parseUsernameTemplate("{{ .RoleName | truncate_sha256 8 }}"))).toMatch(/must be > 8/);
  });
});
