// Which contests may be encrypted, and their limits: §14.8.
//
// For each contest: its options in option order (FORMAT.md §3), p (the most
// one option can receive) and L (the most the whole contest can receive).

import { Refused } from "./refused.js";

const REFERENDUM_OPTIONS = ["yes", "no", "abstain"];

/** The most points × candidates an encrypted cumulative contest may have (issue 13, decision 5). */
export const MAX_CUMULATIVE_BRANCHES = 500;

/**
 * The encrypted contests of a definition, in definition order:
 * `[{id, options, p, L}]`. Refuses (check `definition`) a ranked method or
 * write-ins, which cannot be counted under encryption yet, and a cumulative
 * contest whose points × candidates is over 500.
 */
export function contestLimits(definition) {
  return definition.contests.map((contest, i) => {
    const path = `definition.contests[${i}]`;
    const method = contest.method ?? {};
    const candidates = (contest.candidates ?? []).map((c) => c.id);
    switch (method.kind) {
      case "plurality":
        if (method.write_ins) {
          throw new Refused("definition", path, "ranked methods and write-ins cannot be counted under encryption yet");
        }
        return { id: contest.id, options: candidates, p: 1, L: Math.min(contest.seats, candidates.length) };
      case "approval":
        return { id: contest.id, options: candidates, p: 1, L: candidates.length };
      case "referendum":
        return { id: contest.id, options: REFERENDUM_OPTIONS, p: 1, L: 1 };
      case "cumulative": {
        // Issue 13, decision 5: each option's proof has points + 1 branches.
        const product = method.points * candidates.length;
        if (product > MAX_CUMULATIVE_BRANCHES) {
          throw new Refused(
            "definition", path,
            `cumulative voting under encryption allows at most ${MAX_CUMULATIVE_BRANCHES} for points × candidates, ` +
              `and this contest has ${method.points} × ${candidates.length} = ${product}; give fewer points or split the contest`,
          );
        }
        return { id: contest.id, options: candidates, p: method.points, L: method.points };
      }
      default:
        throw new Refused("definition", path, "ranked methods and write-ins cannot be counted under encryption yet");
    }
  });
}

/**
 * A ballot's choices (FORMAT.md §4: per contest the list of chosen option
 * ids; cumulative lists a candidate once per point) as counts m_o, checked
 * against §14.8: every 0 ≤ m_o ≤ p, Σ m_o ≤ L, every choice an option.
 * @returns {Map<string, number[]>} contest id → counts in option order
 */
export function countsFromChoices(limits, choices) {
  const counts = new Map();
  const known = new Set(limits.map((c) => c.id));
  for (const id of Object.keys(choices)) {
    if (!known.has(id)) throw new Refused("ballot-validity", `choices.${id}`, "not a contest of this election");
  }
  for (const { id, options, p, L } of limits) {
    const path = `choices.${id}`;
    const chosen = choices[id];
    if (!Array.isArray(chosen)) throw new Refused("ballot-validity", path, "missing: every contest needs a list, empty when blank");
    const m = options.map(() => 0);
    for (const option of chosen) {
      const at = options.indexOf(option);
      if (at < 0) throw new Refused("ballot-validity", path, `${JSON.stringify(option)} is not an option of this contest`);
      m[at] += 1;
    }
    if (m.some((x) => x > p)) throw new Refused("ballot-validity", path, `an option was chosen more than ${p} time(s)`);
    if (chosen.length > L) throw new Refused("ballot-validity", path, `more than ${L} choice(s)`);
    counts.set(id, m);
  }
  return counts;
}

/** The choices (option ids, in option order, repeated per point) that counts give. */
export function choicesFromCounts(limits, counts) {
  const choices = {};
  for (const { id, options } of limits) {
    choices[id] = options.flatMap((option, i) => Array(counts.get(id)[i]).fill(option));
  }
  return choices;
}
