//! The scheduler: polls open and close at their times, ballots are sealed
//! on the election's interval once enough wait, and casts outside the window
//! are refused even before the scheduler acts.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::{secret, Backend, TestDb};
use teller::domain::lifecycle::{NotOpen, State};
use teller::domain::spec;
use teller::domain::token::Token;
use teller::ops::{cast, create, lifecycle, roll, status, OpError};
use teller::scheduler;

const T0: i64 = 1_900_000_000;

async fn scheduled_election(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.conn();
    let secret = secret();
    let mut parsed = spec::parse(include_str!("../../examples/board-election.toml")).unwrap();
    parsed.opens_at = Some(T0);
    parsed.closes_at = Some(T0 + 3600);
    parsed.seal_interval_seconds = 600;
    parsed.seal_min_ballots = 3;
    let id = create::create_election(&mut conn, &secret, &parsed, "cli:test", T0 - 100).unwrap();
    roll::import_roll(&mut conn, &id, common::roll_csv(10).as_bytes(), "cli:test", T0 - 90).unwrap();
    let tokens: Vec<Token> = roll::issue_tokens(&mut conn, &secret, &id, "cli:test", T0 - 80)
        .unwrap()
        .into_iter()
        .map(|t| t.token)
        .collect();
    let choices = || serde_json::from_value(serde_json::json!({"bylaw-amendment-7": ["yes"]})).unwrap();

    // Moving a draft's closing time is a setting, not a logged event: the log
    // records it with the opening (FORMAT.md §5 allows `schedule_changed`
    // only while the polls are open).
    let before = status::status(&mut conn, &id).unwrap().log_size;
    lifecycle::reschedule(
        &mut conn,
        &id,
        Some(T0 + 3600),
        "set before opening",
        "cli:test",
        T0 - 70,
    )
    .unwrap();
    assert_eq!(status::status(&mut conn, &id).unwrap().log_size, before);

    // Before opening time: nothing happens, and casting is refused.
    scheduler::pass(&mut conn, &secret, T0 - 1);
    assert_eq!(status::status(&mut conn, &id).unwrap().state, State::Draft);
    assert!(matches!(
        cast::cast(&mut conn, &secret, &id, &tokens[0], choices(), T0 - 1),
        Err(OpError::PollsNotOpen(NotOpen::NotYet(Some(T0))))
    ));

    // At opening time the scheduler opens the polls.
    scheduler::pass(&mut conn, &secret, T0);
    assert_eq!(status::status(&mut conn, &id).unwrap().state, State::Open);
    for t in &tokens[..2] {
        cast::cast(&mut conn, &secret, &id, t, choices(), T0 + 10).unwrap();
    }
    // Once open, the same change is logged with its reason.
    let before = status::status(&mut conn, &id).unwrap().log_size;
    lifecycle::reschedule(&mut conn, &id, Some(T0 + 3600), "confirmed", "cli:test", T0 + 20).unwrap();
    assert_eq!(status::status(&mut conn, &id).unwrap().log_size, before + 1);
    // The interval has passed but only 2 of the 3 ballots a seal needs wait.
    scheduler::pass(&mut conn, &secret, T0 + 700);
    assert_eq!(status::status(&mut conn, &id).unwrap().seals, 0);
    cast::cast(&mut conn, &secret, &id, &tokens[2], choices(), T0 + 710).unwrap();
    scheduler::pass(&mut conn, &secret, T0 + 720);
    let s = status::status(&mut conn, &id).unwrap();
    assert_eq!((s.seals, s.voted_as_of_last_seal), (1, 3));
    // Three more, but the interval since the last seal has not passed.
    for t in &tokens[3..6] {
        cast::cast(&mut conn, &secret, &id, t, choices(), T0 + 800).unwrap();
    }
    scheduler::pass(&mut conn, &secret, T0 + 900);
    assert_eq!(status::status(&mut conn, &id).unwrap().seals, 1);

    // After closing time, before the scheduler acts, casting is refused.
    assert!(matches!(
        cast::cast(&mut conn, &secret, &id, &tokens[6], choices(), T0 + 3600),
        Err(OpError::PollsNotOpen(NotOpen::Closed))
    ));
    // The scheduler closes, sealing what waits.
    scheduler::pass(&mut conn, &secret, T0 + 3601);
    let s = status::status(&mut conn, &id).unwrap();
    assert_eq!(s.state, State::Closed);
    assert_eq!((s.seals, s.voted_as_of_last_seal), (2, 6));
    // A second pass (another instance) changes nothing.
    let size = s.log_size;
    scheduler::pass(&mut conn, &secret, T0 + 3700);
    assert_eq!(status::status(&mut conn, &id).unwrap().log_size, size);
    let record = teller::ops::record::export(&mut conn, &id).unwrap();
    let report = teller_audit::verify::verify_record(&record, &[]);
    assert!(report.ok(), "{report}");
    assert!(record.log.iter().any(|e| matches!(&e.entry.event,
        teller_audit::log::Event::PollsClosed { actor, reason, .. } if actor == "scheduler" && reason == "scheduled close")));
}
on_both_backends!(the_scheduler_opens_seals_and_closes_on_time, scheduled_election);
