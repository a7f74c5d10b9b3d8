// Canonical JSON, FORMAT.md §2: what trackers and the definition hash are
// computed over. JSON.stringify is not it (it escapes \n as "\n", not
// "\u000a", and sorts nothing), so it is written out here.

const utf8 = new TextEncoder();

function compareUtf8(a, b) {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

function string(s) {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (c < 0x20) out += "\\u00" + c.toString(16).padStart(2, "0");
    else if (c >= 0xd800 && c <= 0xdfff) throw new Error("a lone surrogate has no UTF-8 encoding");
    else out += ch;
  }
  return out + '"';
}

function value(v) {
  if (v === null) return "null";
  if (v === true) return "true";
  if (v === false) return "false";
  if (typeof v === "string") return string(v);
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new Error(`not an integer canonical JSON can hold: ${v}`);
    return Object.is(v, -0) ? "0" : String(v);
  }
  if (Array.isArray(v)) return "[" + v.map(value).join(",") + "]";
  if (typeof v === "object") {
    const keys = Object.keys(v).sort(compareUtf8);
    return "{" + keys.map((k) => string(k) + ":" + value(v[k])).join(",") + "}";
  }
  throw new Error(`no canonical JSON for a ${typeof v}`);
}

/** The canonical JSON text of `v` (FORMAT.md §2). */
export function canonical(v) {
  return value(v);
}

/** The canonical JSON bytes of `v`, UTF-8. */
export function canonicalBytes(v) {
  return utf8.encode(value(v));
}
