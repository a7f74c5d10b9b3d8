// Refusals: what every decoder and verifier here throws.
//
// A refusal names the check that failed (the names of FORMAT.md §10 and
// audit/FORMAT.md §15.7 and §16.11: `format`,
// `ballot-elements`, `ballot-proofs`, `ballot-duplicates`, `audit-…`), the
// JSON path of the value at fault, and what was expected. Callers and tests
// match on `check` and `path`, never on the sentence.

/** A value was refused by check `check` at JSON path `path`. */
export class Refused extends Error {
  /**
   * @param {string} check the check's name, e.g. "format" or "ballot-proofs"
   * @param {string} path the JSON path of the value at fault ("" for the whole input)
   * @param {string} reason what was expected and found, for people
   * @param {string} [code] for a refused element or scalar, the reason's name
   *   as the Rust verifier and the test vectors spell it: "hex",
   *   "non-canonical", "negative", "not-in-group", "identity"
   */
  constructor(check, path, reason, code) {
    super(`${check}: ${path ? path + ": " : ""}${reason}`);
    this.name = "Refused";
    this.check = check;
    this.path = path;
    this.reason = reason;
    this.code = code;
  }
}
