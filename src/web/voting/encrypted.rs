//! The member's pages in an encrypted election (issue 13,
//! audit/FORMAT.md §14.11, §16.10).
//!
//! With JavaScript on, the ballot page carries the booth of
//! browser/README.md ("The page contract"): `static/js/teller-ballot.js`
//! encrypts on the member's device, shows the tracker, and either casts
//! the encrypted ballot (`POST /ballot/cast` with `encrypted_ballot`) or
//! checks it (cast-or-audit): the marks never leave the device.
//!
//! Without JavaScript the form posts the marks as for a plain ballot; the
//! review page says that on this path the server encrypts the ballot for
//! the member, and so sees the choices at that moment. Cast-or-audit works
//! here too: "Check the encryption" has the server encrypt, open the
//! ballot with its seed, keep it as audited (so it can never be cast), and
//! show what it decrypts to, with the file to check elsewhere.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use teller_audit::count::Weight;
use teller_audit::crypto::Digest;
use teller_audit::encrypted::audited::{AuditedBallot, AuditedEncryption, AUDITED_BALLOT_FORMAT};
use teller_audit::encrypted::group::OsRandom;
use teller_audit::trustees::ceremony::KeyEntry;

use super::ballot::{checked_choices, render_ballot};
use super::form::{hidden_fields, marks_from_fields, summaries, ContestSummary, Hidden};
use super::{current_voter, t, Voter};
use crate::ops::encrypted::{Encryption, ServerEncrypted};
use crate::ops::OpError;
use crate::store::corrupt;
use crate::web::client::ClientAddr;
use crate::web::error::PageError;
use crate::web::pages::{render, Page};
use crate::web::AppState;

/// The largest form `POST /ballot/cast` and `POST /ballot/audit/download`
/// read. An encrypted ballot is roughly 0.45 KB of JSON a proof branch (the
/// example ballot: 14 KB for 32 branches; a 0/1 option has two, a
/// cumulative option `points + 1`), so the largest ballot encryption allows
/// (points × options ≤ 500, §C.5) comes to some 250 KB, and its audited
/// file adds the definition; hex is not escaped in a form, so the form is
/// barely larger (the example's: 16.2 KB).
pub const MAX_FORM_BYTES: usize = 512 * 1024;

/// What the ballot page of an encrypted election hands the booth.
#[derive(Serialize)]
pub struct Booth {
    /// `data-teller-encrypt`: the election's parameters and the member's
    /// weight (`Encryption::device_params`), as JSON (escaped by the
    /// template like any attribute).
    params_json: String,
    /// The election, for the audited ballots' address.
    election: String,
    /// Offer the box asking for a confirmation e-mail beside Cast, as the
    /// review page does on the path without JavaScript
    /// (`ballot::offer_confirmation`); the booth sends `confirm=yes` with
    /// the encrypted ballot when it is ticked.
    offer_confirmation: bool,
}

/// The weight of the member holding the voter's (unused) token: the
/// weight their encrypted ballot must carry.
pub async fn member_weight(state: &AppState, voter: &Voter) -> Result<Weight, OpError> {
    let election = voter.election.id.clone();
    let token = voter.token.clone();
    let text = state
        .run(move |conn, secret| {
            Ok(crate::store::members::weight_of_token(
                conn,
                &election,
                &secret.token_hash(token.as_str()),
            )?)
        })
        .await?;
    // Used meanwhile (in another tab): say so as any used code.
    let text = text.ok_or(OpError::TokenUsed)?;
    Weight::parse(&text).map_err(|e| OpError::Store(corrupt(format!("member weight: {e}")).into()))
}

/// The booth for this voter's ballot page, if their election is encrypted.
pub async fn booth(state: &AppState, voter: &Voter) -> Result<Option<Booth>, OpError> {
    let Some(enc) = state.encryption(&voter.election.id).await? else {
        return Ok(None);
    };
    let weight = member_weight(state, voter).await?;
    let params_json = serde_json::to_string(&enc.device_params(Some(weight)))
        .map_err(|e| OpError::Store(corrupt(format!("the device parameters: {e}")).into()))?;
    Ok(Some(Booth {
        params_json,
        election: enc.election.clone(),
        offer_confirmation: super::ballot::offer_confirmation(state, voter).await?,
    }))
}

/// What the ballot page says when an attempt to cast an encrypted ballot
/// was refused (the member then encrypts again), or `None` when the
/// refusal has a page of its own.
pub fn refusal_notice(e: &OpError) -> Option<String> {
    match e {
        OpError::Encrypted { check, message } => Some(crate::i18n::t(
            "booth-refused",
            &[("check", (*check).into()), ("reason", message.as_str().into())],
        )),
        OpError::Refused(message) => Some(crate::i18n::t(
            "booth-refused-plain",
            &[("reason", message.as_str().into())],
        )),
        _ => None,
    }
}

/// The audited ballot file (§16.10) of a ballot the server encrypted.
pub fn audited_file(
    enc: &Encryption,
    encrypted: &ServerEncrypted,
    choices: &std::collections::BTreeMap<String, Vec<String>>,
) -> AuditedBallot {
    AuditedBallot {
        format: AUDITED_BALLOT_FORMAT.into(),
        definition: enc.definition.clone(),
        encryption: AuditedEncryption {
            threshold: enc.threshold,
            joint_key: enc.joint_key,
            verification_keys: enc
                .verification_keys
                .iter()
                .map(|(j, k)| KeyEntry { trustee: *j, key: *k })
                .collect(),
        },
        ballot: encrypted.ballot.clone(),
        tracker: encrypted.tracker,
        seed: Digest(*encrypted.seed.as_bytes()),
        choices: choices.clone(),
    }
}

#[derive(Serialize)]
struct AuditPage {
    tracker_grouped: String,
    /// What the ballot decrypts to, contest by contest, in the definition's
    /// words (as the member reads it).
    contests: Vec<ContestSummary>,
    /// The file, canonical JSON, for the download form.
    audited_json: String,
    /// The marks, to encrypt again or change them.
    hidden: Vec<Hidden>,
}

/// `POST /ballot/audit`: the review page's "Check the encryption", without
/// JavaScript. The server encrypts the marks as it would for a cast, opens
/// the ballot with its seed, keeps it as audited (that encryption can never
/// be cast), and shows the tracker, what the ballot decrypts to, and the
/// file. Nothing is cast; the code still works.
pub async fn audit(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let voter = match current_voter(&state, &headers, ip).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let def = match voter.definition() {
        Ok(d) => d,
        Err(e) => return PageError::from(e).into_response(),
    };
    let marks = marks_from_fields(&def, &fields);
    let choices = match checked_choices(&def, &marks) {
        Ok(c) => c,
        Err(problems) => return render_ballot(&state, &voter, &def, &marks, problems, None).await,
    };
    let enc = match state.encryption(&voter.election.id).await {
        Ok(Some(enc)) => enc,
        Ok(None) => return PageError::bad_request(t("audit-plain-election")).into_response(),
        Err(e) => return PageError::from(e).into_response(),
    };
    let weight = match member_weight(&state, &voter).await {
        Ok(w) => w,
        Err(OpError::TokenUsed) => return super::used_page(Some(&voter.election)),
        Err(e) => return PageError::from(e).into_response(),
    };
    // Encrypting and checking the proofs: a few milliseconds of CPU each.
    let made = {
        let enc = enc.clone();
        let choices = choices.clone();
        tokio::task::spawn_blocking(move || {
            let encrypted = enc.encrypt(&choices, weight)?;
            let file = audited_file(&enc, &encrypted, &choices);
            let bytes = teller_audit::canonical::to_bytes(&file)
                .map_err(|e| OpError::Store(corrupt(format!("an audited ballot: {e}")).into()))?;
            Ok::<_, OpError>((file, bytes))
        })
        .await
    };
    let (file, bytes) = match made {
        Ok(Ok(made)) => made,
        Ok(Err(e)) => return PageError::from(e).into_response(),
        Err(e) => return PageError::from(OpError::Refused(format!("the encryption failed: {e}"))).into_response(),
    };
    let kept = {
        let enc = enc.clone();
        let bytes = bytes.clone();
        state
            .run(move |conn, _| crate::ops::encrypted::accept_audited(conn, &enc, &bytes, crate::time::now()))
            .await
    };
    if let Err(e) = kept {
        return match e {
            OpError::PollsNotOpen(why) => super::not_open_page(&voter.election, why),
            e => PageError::from(e).into_response(),
        };
    }
    let Ok(audited_json) = String::from_utf8(bytes) else {
        return PageError::from(OpError::Store(corrupt("an audited ballot that is not UTF-8").into())).into_response();
    };
    render(
        StatusCode::OK,
        "audit",
        &Page {
            page_title: t("audit-title"),
            election_title: Some(def.title.clone()),
            body: AuditPage {
                tracker_grouped: super::cast::grouped_tracker(&file.tracker.to_hex()),
                // The file's own choices, which its checks (accept_audited)
                // found the ballot to hold.
                contests: summaries(&def, &file.choices),
                audited_json,
                hidden: hidden_fields(&def, &choices),
            },
        },
    )
}

/// The audited ballot posted back for download.
#[derive(Deserialize)]
pub struct AuditedForm {
    audited: String,
}

/// `POST /ballot/audit/download`: hand the audited ballot back as a file,
/// once it passes `verify-audit`'s checks. Nothing is looked up: the page
/// that offers it holds it, as the receipt page holds the receipt.
pub async fn download(Form(form): Form<AuditedForm>) -> Response {
    let checked = tokio::task::spawn_blocking(move || {
        let file: AuditedBallot = serde_json::from_str(&form.audited).ok()?;
        file.check(&mut OsRandom).ok()?;
        let body = serde_json::to_string_pretty(&file).ok()?;
        Some((file.tracker, body))
    })
    .await
    .ok()
    .flatten();
    let Some((tracker, body)) = checked else {
        return PageError::bad_request(t("audit-not-teller")).into_response();
    };
    let name = format!(
        "attachment; filename=\"audited-ballot-{}.json\"",
        &tracker.to_hex()[..16]
    );
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        body + "\n",
    )
        .into_response()
}
