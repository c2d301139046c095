/**
 * The parts of Go's fmt that username templates reach through `printf` and `print`:
 * the verbs a name needs, with flags, width and precision, and Go's markers for a
 * missing or mistyped argument ("%!s(MISSING)", "%!d(string=x)").
 */

/** A value in a template: Go's string, int or bool. */
export type GoValue = string | number | boolean;

export const goType = (v: GoValue | undefined): string => (typeof v === "number" ? "int" : typeof v === "boolean" ? "bool" : "string");

const display = (v: GoValue): string => String(v);

/** Go's fmt.Sprint: spaces only between operands when neither is a string. */
export function goSprint(args: GoValue[]): string {
  let out = "";
  args.forEach((a, i) => {
    const prev = args[i - 1];
    if (i > 0 && typeof a !== "string" && typeof prev !== "string") out += " ";
    out += display(a);
  });
  return out;
}

/** The verbs a username needs from Go's fmt.Sprintf, with flags, width and precision. */
export function goSprintf(format: string, args: GoValue[]): string {
  let out = "";
  let next = 0;
  const re = /%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g;
  let last = 0;
  for (let m = re.exec(format); m !== null; m = re.exec(format)) {
    out += format.slice(last, m.index);
    last = re.lastIndex;
    const [, flags = "", widthRaw, precRaw, verb = ""] = m;
    if (verb === "%") { out += "%"; continue; }
    if (next >= args.length) { out += `%!${verb}(MISSING)`; continue; }
    const arg = args[next++] as GoValue;
    let text: string;
    switch (verb) {
      case "s": case "v":
        text = typeof arg === "string" || verb === "v" ? display(arg) : `%!s(${goType(arg)}=${display(arg)})`;
        if (precRaw !== undefined && typeof arg === "string") text = [...text].slice(0, Number(precRaw)).join("");
        break;
      case "q": text = typeof arg === "string" ? JSON.stringify(arg) : `%!q(${goType(arg)}=${display(arg)})`; break;
      case "d":
        text = typeof arg === "number" ? `${flags.includes("+") && arg >= 0 ? "+" : ""}${arg}` : `%!d(${goType(arg)}=${display(arg)})`;
        break;
      case "x": case "X": {
        const hex = typeof arg === "number" ? arg.toString(16) : Buffer.from(String(arg)).toString("hex");
        text = verb === "X" ? hex.toUpperCase() : hex;
        break;
      }
      case "t": text = typeof arg === "boolean" ? String(arg) : `%!t(${goType(arg)}=${display(arg)})`; break;
      default: text = `%!${verb}(${goType(arg)}=${display(arg)})`;
    }
    const width = widthRaw === undefined ? 0 : Number(widthRaw);
    if (text.length < width) {
      if (flags.includes("-")) text = text.padEnd(width);
      else if (flags.includes("0") && (verb === "d" || verb === "x" || verb === "X")) {
        const sign = /^[-+]/.test(text) ? text.slice(0, 1) : "";
        text = sign + text.slice(sign.length).padStart(width - sign.length, "0");
      } else text = text.padStart(width);
    }
    out += text;
  }
  out += format.slice(last);
  if (next < args.length) {
    out += `%!(EXTRA ${args.slice(next).map((a) => `${goType(a)}=${display(a)}`).join(", ")})`;
  }
  return out;
}
