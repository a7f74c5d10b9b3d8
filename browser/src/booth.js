// The ballot page's glue (browser/README.md, "The page contract").
//
// Progressive enhancement: without this script the ballot form posts the
// member's marks to the server, which encrypts on their behalf. With it, the
// form's submit is taken over: the choices are encrypted and proved here,
// the tracker is shown, and the member either casts (only the encrypted
// ballot leaves the device) or checks the encryption (Benaloh's
// cast-or-audit, §16.10: the ballot is opened with its seed, shown,
// offered as a file, sent to the server as audited, and never cast).
//
// Nothing here is inline in the page (the CSP allows only same-origin
// script files); the page's texts come from the page, in its language.

import { randomBytes } from "@noble/hashes/utils.js";
import { auditedBallot, createBallot, electionParams, warmUp } from "./ballot.js";
import { canonical } from "./canonical.js";
import { toHex } from "./group.js";
import { Refused } from "./refused.js";
import { verifyAudited } from "./verify.js";

/** Fields that carry the member's marks (src/web/voting/form.rs): never sent on this path. */
const MARK_FIELD = /^[cwrp]\./;

/**
 * What the panel shows only while its ballot can still be cast: Cast,
 * Check (which spoils it), and what goes with a cast (the box asking for a
 * confirmation e-mail). Hidden once the ballot is checked, shown again for
 * the next encryption.
 */
const CAST_ONLY = "[data-teller-cast], [data-teller-check], [data-teller-cast-only]";

const form = document.querySelector("form[data-teller-encrypt]");
const panel = document.querySelector("[data-teller-booth]");
if (form && panel) start(form, panel).catch((e) => block(form, panel, "failed", e));

async function start(form, panel) {
  const source = form.dataset.tellerEncryptSrc;
  const given = source
    ? await (await fetch(source, { credentials: "same-origin", headers: { Accept: "application/json" } })).json()
    : JSON.parse(form.dataset.tellerEncrypt);
  let params;
  try {
    params = electionParams(given);
  } catch (e) {
    block(form, panel, "failed", e);
    return;
  }
  const fp = toHex(params.fp);
  if (given.fingerprint !== undefined && given.fingerprint !== fp) {
    block(form, panel, "mismatch", new Error(`fingerprint ${fp} is not the page's ${given.fingerprint}`));
    return;
  }
  fill(panel, "[data-teller-fingerprint]", fp.slice(0, 16));
  // While the member reads the ballot (§A: the encryption step must not
  // keep anyone waiting): the tables of g and h, and a throwaway proof.
  setTimeout(() => warmUp(params, randomBytes), 0);

  let current = null; // {ballot, tracker, seed, choices} while shown
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let choices;
    try {
      choices = choicesFromForm(form, params.limits);
    } catch (e) {
      say(panel, "invalid", e);
      return;
    }
    say(panel, "encrypting");
    await new Promise((resolve) => setTimeout(resolve, 0)); // let the status paint
    try {
      current = { ...createBallot(params, choices, randomBytes), choices };
    } catch (e) {
      say(panel, e instanceof Refused ? "invalid" : "failed", e);
      return;
    }
    fill(panel, "[data-teller-tracker]", current.tracker);
    show(panel, "[data-teller-audit]", false);
    show(panel, CAST_ONLY, true);
    panel.hidden = false;
    form.inert = true;
    say(panel, "ready");
    panel.querySelector("[data-teller-cast]")?.focus();
  });

  on(panel, "[data-teller-cast]", () => {
    if (!current) return;
    const post = document.createElement("form");
    post.method = "post";
    post.action = form.dataset.tellerCastAction;
    for (const input of form.querySelectorAll("input[type=hidden]")) {
      if (!MARK_FIELD.test(input.name)) post.append(hidden(input.name, input.value));
    }
    post.append(hidden("encrypted_ballot", canonical(current.ballot)));
    // The box asking for a confirmation e-mail, where the page offers it
    // (as the review page does without JavaScript): `confirm=yes`.
    const confirm = panel.querySelector("input[data-teller-confirm]");
    if (confirm?.checked) post.append(hidden(confirm.name, confirm.value));
    current.seed.fill(0); // a cast ballot's seed is forgotten (§14.10)
    current = null;
    document.body.append(post);
    post.submit();
  });

  on(panel, "[data-teller-check]", async () => {
    if (!current) return;
    const { ballot, tracker, seed, choices } = current;
    current = null; // spoiled: this ballot can never be cast
    // Nor offered for casting: only a new encryption can be cast (§16.10).
    show(panel, CAST_ONLY, false);
    say(panel, "checking");
    await new Promise((resolve) => setTimeout(resolve, 0));
    const file = auditedBallot(params, ballot, tracker, seed, choices);
    const opened = verifyAudited(JSON.parse(JSON.stringify(file))); // what the ballot decrypts to
    showChoices(panel, form, params, opened.choices);
    const download = panel.querySelector("[data-teller-audit-download]");
    if (download) {
      const blob = new Blob([JSON.stringify(file, null, 2) + "\n"], { type: "application/json" });
      download.href = URL.createObjectURL(blob);
      download.download = `audited-ballot-${tracker.slice(0, 16)}.json`;
    }
    show(panel, "[data-teller-audit]", true);
    panel.querySelector("[data-teller-again]")?.focus(); // Check, focused until now, is hidden
    try {
      const answer = await fetch(form.dataset.tellerAuditAction, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(file),
      });
      say(panel, answer.ok ? "audit-sent" : "audit-unsent");
    } catch (e) {
      say(panel, "audit-unsent", e);
    }
  });

  const again = () => {
    if (current) current.seed.fill(0);
    current = null;
    panel.hidden = true;
    form.inert = false;
    say(panel, null);
    form.querySelector("input, select, button")?.focus();
  };
  on(panel, "[data-teller-again]", again);
  on(panel, "[data-teller-change]", again);
}

/**
 * The choices the form's marks make (FORMAT.md §4): for each contest, the
 * ticked options (`c.<contest>`) and points (`p.<contest>.<option>`), in
 * option order. A write-in (`w.<contest>`) cannot be encrypted (§14.8).
 */
function choicesFromForm(form, limits) {
  const data = new FormData(form);
  const choices = {};
  for (const { id, options } of limits) {
    if (data.getAll(`w.${id}`).some((w) => String(w).trim() !== "")) {
      throw new Refused("ballot-validity", `choices.${id}`, "write-ins cannot be encrypted");
    }
    const ticked = new Set(data.getAll(`c.${id}`).map(String));
    choices[id] = options.flatMap((option) => {
      const points = String(data.get(`p.${id}.${option}`) ?? "").trim();
      if (points !== "") {
        if (!/^\d{1,3}$/.test(points)) throw new Refused("ballot-validity", `choices.${id}`, "points must be whole numbers");
        return Array(Number(points)).fill(option);
      }
      return ticked.has(option) ? [option] : [];
    });
  }
  return choices;
}

/** The decrypted choices, in the page's own words: each option's label on the form. */
function showChoices(panel, form, params, choices) {
  const list = panel.querySelector("[data-teller-audit-choices]");
  if (!list) return;
  list.replaceChildren();
  for (const { id } of params.limits) {
    const contest = params.definition.contests.find((c) => c.id === id);
    const item = document.createElement("li");
    const names = choices[id].map((option) => {
      const input = [...form.querySelectorAll("input, select")].find(
        (el) => (el.name === `c.${id}` && el.value === option) || el.name === `p.${id}.${option}`,
      );
      const label = input?.labels?.[0]?.textContent?.trim();
      return label || contest.candidates.find((c) => c.id === option)?.name || option;
    });
    item.textContent = `${contest.title}: ${names.length ? names.join(", ") : panel.dataset.msgBlank ?? "—"}`;
    list.append(item);
  }
}

// ---------------------------------------------------------------------------

function hidden(name, value) {
  const input = document.createElement("input");
  input.type = "hidden";
  input.name = name;
  input.value = value;
  return input;
}

function on(panel, selector, handler) {
  panel.querySelector(selector)?.addEventListener("click", handler);
}

function fill(panel, selector, text) {
  for (const el of panel.querySelectorAll(selector)) el.textContent = text;
}

function show(panel, selector, visible) {
  for (const el of panel.querySelectorAll(selector)) el.hidden = !visible;
}

/**
 * Put the page's message for `key` (the panel's `data-msg-<key>`) in the
 * status region; the technical detail goes to the console only.
 */
function say(panel, key, error) {
  if (error) console.error(error);
  const status = document.querySelector("[data-teller-status]");
  if (!status) return;
  const message = key ? panel.dataset[`msg${key.replace(/(^|-)(\w)/g, (_, __, c) => c.toUpperCase())}`] : "";
  status.textContent = message ?? (error ? String(error.message ?? error) : "");
  if (key === "invalid" && error instanceof Refused) {
    const contest = error.path.replace(/^choices\./, "");
    document.getElementById(`contest-${contest}`)?.scrollIntoView({ block: "center" });
  }
}

/** Encryption cannot be trusted on this page: say so, and send nothing. */
function block(form, panel, key, error) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    say(panel, key, error);
  });
  say(panel, key, error);
}
