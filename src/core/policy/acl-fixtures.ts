// Shared by the ACL test files: an ACL compiled from policy texts, and one rule's HCL.
import { compileAcl, parsePolicy, type PolicyIdentity } from "./index.js";

export function aclOf(texts: readonly string[], identity?: PolicyIdentity) {
  return compileAcl(
    texts.map((t, i) => parsePolicy(`p${i}`, t)),
    identity,
  );
}

export function rule(path: string, caps: readonly string[], extra = ""): string {
  return `path "${path}" {\n  capabilities = [${caps.map((c) => `"${c}"`).join(", ")}]\n${extra}}\n`;
}
