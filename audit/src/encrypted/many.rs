//! Checking the proofs of many ballots at once: what `teller-audit verify`
//! does with a record's encrypted ballots (FORMAT.md
//! §15.6, §16.11 step 10).
//!
//! [`ballot_equations`] does every proof's own checks (its challenge
//! recomputed from the hash, which batching never replaces) and returns the
//! equations of all the ballot's proofs, unchecked; a verifier puts the
//! equations of hundreds of ballots in one [`super::batch::Batch`], whose
//! single multiscalar multiplication is far cheaper per point than one per
//! ballot. A failing batch names the ballots at fault, and
//! [`super::cast::CastContext::check_proofs`] then names the proof.

use super::ballot::EncryptedBallot;
use super::batch::Equations;
use super::cast::{CastContext, CastRefusal};
use super::proofs::{ContestStatement, SelectionStatement};

/// The equations of every selection and contest proof of `ballot`, after
/// each proof's own checks; the refusal of the first proof whose own checks
/// fail, named as [`CastContext::check_proofs`] names it. Assumes
/// [`CastContext::check_shape`] passed.
pub fn ballot_equations(ctx: &CastContext<'_>, ballot: &EncryptedBallot) -> Result<Equations, CastRefusal> {
    let mut all = Equations::new();
    for (i, (contest, shape)) in ballot.contests.iter().zip(&ctx.shape.contests).enumerate() {
        for (j, selection) in contest.selections.iter().enumerate() {
            let ciphertext = selection.ciphertext();
            let equations = SelectionStatement {
                fingerprint: &ctx.fingerprint,
                nonce: &ballot.nonce,
                contest: &contest.contest,
                option: &selection.option,
                max: shape.per_option,
                ciphertext: &ciphertext,
            }
            .equations(&selection.proof)
            .map_err(|error| CastRefusal::Proof {
                path: format!("contests[{i}].selections[{j}].proof"),
                error,
            })?;
            all.append(equations);
        }
        let sum = contest.sum();
        let equations = ContestStatement {
            fingerprint: &ctx.fingerprint,
            nonce: &ballot.nonce,
            contest: &contest.contest,
            limit: shape.limit,
            indicator: &contest.indicator,
            sum: &sum,
        }
        .equations(&contest.proof)
        .map_err(|error| CastRefusal::Proof {
            path: format!("contests[{i}].proof"),
            error,
        })?;
        all.append(equations);
    }
    Ok(all)
}
