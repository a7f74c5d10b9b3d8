//! Elections have a time zone (issue 12, finding 5): staff enter and see
//! local times in the builder, members read the closing time on the
//! election's clocks, and a draft can be announced with its opening time
//! (finding 3) without showing its ballot. Real server, real HTTP, both
//! backends.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::form::{fields, set};
use common::staff::{add_staff, get, sign_in};
use common::{Backend, TestApp};
use reqwest::header::LOCATION;
use reqwest::StatusCode;
use teller::time::Zone;

const OFFICER_PASSWORD: &str = "officer password 7Qx!";

fn new_york() -> Zone {
    Zone::parse("America/New_York").unwrap()
}

/// Post the builder form at `path` (its fields as on the page, `change`d).
async fn submit(app: &TestApp, cookie: &str, path: &str, change: &[(&str, &str)]) -> (StatusCode, String, String) {
    let (status, html) = get(app, cookie, path).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let target = path.split('?').next().unwrap();
    let mut form = fields(&html, target);
    for (k, v) in change {
        set(&mut form, k, v);
    }
    form.push(("action".into(), "save".into()));
    let res = app
        .http
        .post(app.url(target))
        .header("cookie", cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let location = res
        .headers()
        .get(LOCATION)
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location, res.text().await.unwrap())
}

/// The value of the input `name` on a page.
fn value_of(html: &str, name: &str) -> String {
    let form_fields = fields(html, html_action(html).as_str());
    form_fields
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no field {name}"))
}

fn html_action(html: &str) -> String {
    let at = html.find("class=\"builder\"").unwrap();
    let start = html[..at].rfind("action=\"").unwrap() + "action=\"".len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// The schedule line of `teller status` (UTC, for machines).
fn cli_schedule(app: &TestApp, id: &str) -> String {
    let out = app.teller_ok(&["status", id]);
    out.lines().find(|l| l.starts_with("State")).unwrap().to_string()
}

/// The builder stores a zone, reads and shows times on its clocks across a
/// daylight-saving change, refuses an unknown zone and a skipped time with
/// nothing changed, and keeps times when saved again unchanged.
async fn builder_local_times(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_staff(&app, "olga", "officer", OFFICER_PASSWORD);
    let officer = sign_in(&app, "olga", OFFICER_PASSWORD, "").await.unwrap();
    let (status, html) = get(&app, &officer, "/staff/elections/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<datalist id=\"zones\">"), "{html}");
    assert!(
        html.contains("<option value=\"America/New_York\">Eastern time</option>"),
        "{html}"
    );

    // New York's clocks go forward at 02:00 on 8 March 2026: the polls open
    // on winter time and close on summer time.
    let (status, location, html) = submit(
        &app,
        &officer,
        "/staff/elections/new",
        &[
            ("title", "Spring election"),
            ("time_zone", "america/new_york"),
            ("opens_at", "2026-03-08T01:30"),
            ("closes_at", "2026-03-09T09:00"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let edit = location.clone();
    let id = edit
        .trim_start_matches("/staff/elections/")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    // 01:30 EST is 06:30 UTC; 09:00 EDT is 13:00 UTC.
    assert_eq!(
        cli_schedule(&app, &id),
        "State     draft (scheduled 2026-03-08 06:30 UTC to 2026-03-09 13:00 UTC)"
    );
    let (_, html) = get(&app, &officer, &edit).await;
    assert_eq!(value_of(&html, "time_zone"), "America/New_York");
    assert_eq!(value_of(&html, "opens_at"), "2026-03-08T01:30");
    assert_eq!(value_of(&html, "closes_at"), "2026-03-09T09:00");
    assert!(
        html.contains("Saved: Sunday 8 March 2026 at 01:30 Eastern time (EST)"),
        "{html}"
    );
    assert!(
        html.contains("Saved: Monday 9 March 2026 at 09:00 Eastern time (EDT)"),
        "{html}"
    );

    // Saved again as it stands: nothing moves.
    let (status, _, html) = submit(&app, &officer, &edit, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    assert_eq!(
        cli_schedule(&app, &id),
        "State     draft (scheduled 2026-03-08 06:30 UTC to 2026-03-09 13:00 UTC)"
    );

    // An unknown zone is refused, naming it, and nothing is saved.
    let (status, _, html) = submit(
        &app,
        &officer,
        &edit,
        &[("title", "Changed title"), ("time_zone", "Mars/Olympus_Mons")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("Nothing was saved"), "{html}");
    assert!(
        html.contains("Time zone: time zone &quot;Mars/Olympus_Mons&quot; is not known"),
        "{html}"
    );
    // A time the clocks skip is refused, and nothing is saved.
    let (status, _, html) = submit(
        &app,
        &officer,
        &edit,
        &[("title", "Changed title"), ("opens_at", "2026-03-08T02:30")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(
        html.contains("Polls open: 2026-03-08 02:30 does not exist in America/New_York"),
        "{html}"
    );
    let (_, html) = get(&app, &officer, &edit).await;
    assert_eq!(value_of(&html, "title"), "Spring election");
    assert_eq!(value_of(&html, "time_zone"), "America/New_York");
    assert_eq!(
        cli_schedule(&app, &id),
        "State     draft (scheduled 2026-03-08 06:30 UTC to 2026-03-09 13:00 UTC)"
    );

    // Another zone reads the same wall-clock times on its own clocks.
    let (status, _, html) = submit(&app, &officer, &edit, &[("time_zone", "Europe/London")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    assert_eq!(
        cli_schedule(&app, &id),
        "State     draft (scheduled 2026-03-08 01:30 UTC to 2026-03-09 09:00 UTC)"
    );
    let (_, html) = get(&app, &officer, &format!("/staff/elections/{id}")).await;
    assert!(html.contains("Times are in UK time (Europe/London)."), "{html}");
    assert!(
        html.contains("Opens Sunday 8 March 2026 at 01:30 UK time (GMT)"),
        "{html}"
    );
    assert!(html.contains("Not announced: only staff can see this draft."), "{html}");
    let (_, html) = get(&app, &officer, "/staff").await;
    assert!(html.contains("Opens 2026-03-08 01:30 GMT"), "{html}");

    // A closing time in the second 01:30 of the night the clocks go back
    // (set in a file, with its offset) shows as 01:30 EST and stays put when
    // the draft is saved unchanged.
    let example = include_str!("../../examples/board-election.toml");
    let file = app.path("fold.toml");
    std::fs::write(
        &file,
        example.replacen(
            "# closes_at = 2026-12-15T17:00:00",
            "closes_at = 2026-11-01T01:30:00-05:00",
            1,
        ),
    )
    .unwrap();
    let out = app.teller_ok(&["election", "create", file.to_str().unwrap()]);
    let fold = out.trim().lines().last().unwrap().to_string();
    let fold_edit = format!("/staff/elections/{fold}/edit");
    let (_, html) = get(&app, &officer, &fold_edit).await;
    assert_eq!(value_of(&html, "closes_at"), "2026-11-01T01:30");
    assert!(
        html.contains("Saved: Sunday 1 November 2026 at 01:30 Eastern time (EST)"),
        "{html}"
    );
    let (status, _, html) = submit(&app, &officer, &fold_edit, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    assert_eq!(
        cli_schedule(&app, &fold),
        "State     draft (closes 2026-11-01 06:30 UTC)"
    );
    // Typed again, 01:30 is the first of the two (EDT).
    let (status, _, html) = submit(&app, &officer, &fold_edit, &[("closes_at", "2026-11-01 01:30")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    assert_eq!(
        cli_schedule(&app, &fold),
        "State     draft (closes 2026-11-01 05:30 UTC)"
    );

    // Announcing needs an opening time.
    let (status, _, html) = submit(&app, &officer, &edit, &[("opens_at", ""), ("announce", "on")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("announced with its opening time"), "{html}");
}
on_both_backends!(the_builder_reads_and_shows_local_times, builder_local_times);

/// An election file's zone is checked: an unknown one creates nothing; a
/// known one reads times without an offset on its clocks.
async fn election_file_zones(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let example = include_str!("../../examples/board-election.toml");
    let bad = app.path("bad.toml");
    std::fs::write(
        &bad,
        example.replacen("time_zone = \"America/New_York\"", "time_zone = \"Europe/Atlantis\"", 1),
    )
    .unwrap();
    let out = app.teller(&["election", "create", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("time_zone: time zone \"Europe/Atlantis\" is not known"),
        "{err}"
    );
    let listed = app.teller_ok(&["election", "list"]);
    assert!(!listed.contains("Society of Pharmacy Technicians"), "{listed}");

    let good = app.path("good.toml");
    std::fs::write(
        &good,
        example.replacen("# opens_at = 2026-12-01T09:00:00", "opens_at = 2026-12-01T09:00:00", 1),
    )
    .unwrap();
    let out = app.teller_ok(&["election", "create", good.to_str().unwrap()]);
    let id = out.trim().lines().last().unwrap();
    // 09:00 EST is 14:00 UTC.
    assert_eq!(cli_schedule(&app, id), "State     draft (opens 2026-12-01 14:00 UTC)");
}
on_both_backends!(election_files_carry_a_checked_zone, election_file_zones);

/// Members read the closing time on the election's clocks on every voting
/// page: the code entry page (from the election's page), the ballot, the
/// review and the election's page.
async fn member_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let closes = teller::time::now() + 2 * 86_400 + 3 * 3600 + 600;
    let example = include_str!("../../examples/board-election.toml");
    let toml = example.replacen(
        "# closes_at = 2026-12-15T17:00:00",
        &format!("closes_at = {}", teller::time::format_rfc3339(closes)),
        1,
    );
    let (id, tokens) = app.draft_with_tokens(&toml, 2);
    app.teller_ok(&["election", "open", &id]);
    let expected = format!(
        "Voting closes {}: 2 days and 3 hours left.",
        new_york().local(closes).english()
    );
    assert!(expected.contains("Eastern time (E"), "{expected}");

    let page = |path: String, cookie: Option<String>| {
        let app = &app;
        async move {
            let mut req = app.http.get(app.url(&path));
            if let Some(c) = cookie {
                req = req.header("cookie", c);
            }
            let res = req.send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let (status, html) = page(format!("/e/{id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&expected), "{html}");
    assert!(html.contains(&format!("href=\"/vote?election={id}\"")), "{html}");
    let (status, html) = page(format!("/vote?election={id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&expected), "{html}");
    // Without an election, or with one that is not open, no closing time.
    let (_, html) = page("/vote".into(), None).await;
    assert!(!html.contains("Voting closes"), "{html}");
    let (_, html) = page("/vote?election=not-an-id".into(), None).await;
    assert!(!html.contains("Voting closes"), "{html}");

    let cookie = format!("teller_vote={}", tokens[0].1.replace('-', ""));
    let (status, html) = page("/ballot".into(), Some(cookie.clone())).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains(&expected), "{html}");
    let res = app
        .http
        .post(app.url("/ballot/review"))
        .header("cookie", &cookie)
        .form(&[("c.bylaw-amendment-7", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains(&expected));
}
on_both_backends!(members_read_the_closing_time_on_the_elections_clocks, member_pages);

/// A draft announced with a date is listed on the home page under "Coming
/// up" with its local opening time; its page has the title and schedule and
/// no ballot; everything else about it stays private, and voting is refused.
/// An unannounced draft shows nowhere.
async fn announced_drafts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let example = include_str!("../../examples/board-election.toml");
    let announced_toml = example
        .replacen("title = \"Society", "title = \"Announced: Society", 1)
        .replacen("# opens_at = 2026-12-01T09:00:00", "opens_at = 2036-12-01T09:00:00", 1)
        .replacen("announce = false", "announce = true", 1);
    let hidden_toml = example
        .replacen("title = \"Society", "title = \"Hidden: Society", 1)
        .replacen("# opens_at = 2026-12-01T09:00:00", "opens_at = 2036-12-01T09:00:00", 1);
    let (announced, tokens) = app.draft_with_tokens(&announced_toml, 2);
    let (hidden, _) = app.draft_with_tokens(&hidden_toml, 1);
    let opens = "Monday 1 December 2036 at 09:00 Eastern time (EST)";

    let res = app.http.get(app.url("/")).send().await.unwrap();
    let home = res.text().await.unwrap();
    assert!(home.contains("<h2>Coming up</h2>"), "{home}");
    assert!(
        home.contains(&format!("<a href=\"/e/{announced}\">Announced: Society")),
        "{home}"
    );
    assert!(home.contains(&format!("Voting opens {opens}")), "{home}");
    assert!(!home.contains("Hidden: Society"), "{home}");
    assert!(!home.contains(&hidden), "{home}");

    let res = app.http.get(app.url(&format!("/e/{announced}"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("<h1>Announced: Society"), "{html}");
    assert!(html.contains(&format!("Voting opens {opens}")), "{html}");
    for ballot in [
        "Amara Okafor",
        "Board of Directors",
        "Treasurer",
        "On the ballot",
        "/track",
    ] {
        assert!(!html.contains(ballot), "{ballot} shown: {html}");
    }
    // Nothing else about it is public.
    for path in [
        format!("/e/{hidden}"),
        format!("/e/{announced}/results"),
        format!("/e/{announced}/track"),
        format!("/api/v1/elections/{announced}"),
        format!("/api/v1/elections/{announced}/record"),
    ] {
        let res = app.http.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // Voting is refused until it opens, with the local opening time.
    let res = app
        .http
        .get(app.url("/ballot"))
        .header("cookie", format!("teller_vote={}", tokens[0].1.replace('-', "")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::LOCKED);
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("Voting opens {opens}.")), "{html}");
    assert!(!html.contains("Amara Okafor"), "{html}");
    let (status, body) = app.cast(&announced, &tokens[1].1, common::example_choices(0)).await;
    assert_ne!(status, 200, "{body}");
    assert!(body.to_string().contains("not open yet"), "{body}");

    // The staff page says whether it is announced.
    add_staff(&app, "olga", "officer", OFFICER_PASSWORD);
    let officer = sign_in(&app, "olga", OFFICER_PASSWORD, "").await.unwrap();
    let (_, html) = get(&app, &officer, &format!("/staff/elections/{announced}")).await;
    assert!(
        html.contains("Announced: the public home lists this election"),
        "{html}"
    );
    let (_, html) = get(&app, &officer, &format!("/staff/elections/{hidden}")).await;
    assert!(html.contains("Not announced: only staff can see this draft."), "{html}");
    // The builder shows the box ticked; unticking it hides the draft again.
    let edit = format!("/staff/elections/{announced}/edit");
    let (_, html) = get(&app, &officer, &edit).await;
    assert!(html.contains("name=\"announce\" value=\"on\" checked"), "{html}");
    let (_, html) = get(&app, &officer, &edit).await;
    let mut form = fields(&html, &edit);
    form.retain(|(k, _)| k != "announce");
    form.push(("action".into(), "save".into()));
    let res = app
        .http
        .post(app.url(&edit))
        .header("cookie", &officer)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let home = app.http.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(!home.contains("Coming up"), "{home}");
    let res = app.http.get(app.url(&format!("/e/{announced}"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
on_both_backends!(announced_drafts_show_their_date_and_no_ballot, announced_drafts);
