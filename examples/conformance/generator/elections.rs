//! Real elections, run through Teller's own operations (`teller::ops`) on an
//! embedded SQLite database: created from a definition, a roll imported,
//! certifiers' keys registered, tokens issued, the polls opened, ballots cast
//! through the real cast path, sealed, closed, tallied, certified with
//! statements signed offline, and the record exported at each state.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::{json, Value};
use teller::db::{self, AnyConnection};
use teller::domain::roles::Role;
use teller::ops::{self, seal::SealWhen, staff::StaffUser};
use teller::secrets::MasterSecret;
use teller_audit::certify::SignedStatement;

use super::json::{canonical, statement, ElectionKey, FixedKey, Record};

/// The master secret of the generator's server (the cases' signing keys are
/// sealed under it only inside the temporary database).
const MASTER: &str = "c0f0e1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddee";
/// The election office's clock: 2026-12-01T09:00:00Z, one minute a step.
const T0: i64 = 1_796_115_600;
/// Who acts from the command line.
const ACTOR: &str = "cli:officer";

/// One election as run: its records by state, receipts and keys.
pub struct Election {
    /// Its id.
    pub id: String,
    /// The exported record at each state it passed through.
    pub records: BTreeMap<&'static str, Record>,
    /// Receipts by label.
    pub receipts: BTreeMap<&'static str, Value>,
    /// The election's signing key.
    pub key: ElectionKey,
    /// The certifiers' keys (empty when not certified).
    pub certifiers: Vec<FixedKey>,
}

/// The elections the cases derive from.
pub struct Elections {
    /// (a) + (d) + (e): the board election, certified by 2 of 3.
    pub board: Election,
    /// (b): a weighted election with every counted method.
    pub weighted: Election,
    /// (c): ties broken by lots in every method.
    pub ties: Election,
}

struct Server {
    conn: AnyConnection,
    secret: Arc<MasterSecret>,
    now: i64,
}

impl Server {
    fn tick(&mut self) -> i64 {
        self.now += 60;
        self.now
    }

    fn export(&mut self, id: &str) -> Record {
        let mut bytes = Vec::new();
        ops::record::write_record(&mut self.conn, id, &mut bytes).expect("the record exports");
        Record {
            v: serde_json::from_slice(&bytes).expect("the exported record is JSON"),
        }
    }

    fn create(&mut self, toml: &str, quorum: u32) -> String {
        let mut spec = teller::domain::spec::parse(toml).expect("the election file is sound");
        // A few ballots per election: seal whatever waits.
        spec.seal_min_ballots = 1;
        spec.certification_quorum = quorum;
        let t = self.tick();
        let id = ops::create::create_election(&mut self.conn, &self.secret, &spec, ACTOR, t).expect("created");
        let t = self.tick();
        ops::create::update_draft(&mut self.conn, &id, None, &spec, ACTOR, t).expect("draft saved");
        id
    }

    fn roll(&mut self, id: &str, weights: &[&str]) -> Vec<teller::domain::token::Token> {
        let mut csv = String::from("member_id,name,email,weight\n");
        for (i, w) in weights.iter().enumerate() {
            csv.push_str(&format!("M{i:03},Member {i},m{i}@example.org,{w}\n"));
        }
        let t = self.tick();
        ops::roll::import_roll(&mut self.conn, id, csv.as_bytes(), ACTOR, t).expect("roll imported");
        let t = self.tick();
        let mut issued = ops::roll::issue_tokens(&mut self.conn, &self.secret, id, ACTOR, t).expect("tokens");
        issued.sort_by(|a, b| a.member_id.cmp(&b.member_id));
        issued.into_iter().map(|t| t.token).collect()
    }

    fn open(&mut self, id: &str) {
        let t = self.tick();
        ops::lifecycle::open(&mut self.conn, &self.secret, id, ACTOR, t).expect("opened");
    }

    fn cast(&mut self, id: &str, token: &teller::domain::token::Token, choices: Value) -> Value {
        let choices: ops::cast::Choices = serde_json::from_value(choices).expect("choices");
        let t = self.tick();
        let receipt = ops::cast::cast(&mut self.conn, &self.secret, id, token, choices, t)
            .unwrap_or_else(|e| panic!("the cast path refused a ballot: {e}"));
        serde_json::to_value(&receipt).expect("a receipt is JSON")
    }

    fn seal(&mut self, id: &str) {
        let t = self.tick();
        ops::seal::seal(&mut self.conn, &self.secret, id, SealWhen::Staff, t)
            .expect("sealed")
            .expect("ballots were waiting");
    }

    fn close(&mut self, id: &str) {
        let t = self.tick();
        ops::lifecycle::close(
            &mut self.conn,
            &self.secret,
            id,
            "closed by the returning officer",
            ACTOR,
            t,
        )
        .expect("closed");
    }

    fn tally(&mut self, id: &str) {
        let t = self.tick();
        ops::lifecycle::tally(&mut self.conn, &self.secret, id, ACTOR, t).expect("tallied");
    }

    fn key(&mut self, id: &str) -> ElectionKey {
        let row = teller::store::elections::find(&mut self.conn, id)
            .expect("read")
            .expect("the election exists");
        ElectionKey {
            election: id.to_string(),
            sealed: row.secret_key,
            secret: self.secret.clone(),
        }
    }
}

/// Run every election in a fresh database under `dir`.
pub fn run(dir: &Path) -> Elections {
    let url = dir.join("teller.db").to_string_lossy().to_string();
    let mut conn = db::connect_one(&url).expect("the database opens");
    db::migrate(&mut conn).expect("migrations run");
    let mut server = Server {
        conn,
        secret: Arc::new(MasterSecret::from_hex(MASTER).expect("the master secret is hex")),
        now: T0,
    };
    Elections {
        board: board(&mut server),
        weighted: weighted(&mut server),
        ties: ties(&mut server),
    }
}

/// A certifier's fixed key: seed = SHA-256("teller conformance certifier N").
pub fn certifier_key(n: usize) -> FixedKey {
    let seed = ring::digest::digest(
        &ring::digest::SHA256,
        format!("teller conformance certifier {n}").as_bytes(),
    );
    let mut s = [0u8; 32];
    s.copy_from_slice(seed.as_ref());
    FixedKey::from_seed(&s)
}

/// A witness's key in the suite: fixed, so its cosignatures are.
pub fn witness_key(n: usize) -> FixedKey {
    let seed = ring::digest::digest(
        &ring::digest::SHA256,
        format!("teller conformance witness {n}").as_bytes(),
    );
    let mut s = [0u8; 32];
    s.copy_from_slice(seed.as_ref());
    FixedKey::from_seed(&s)
}

/// The board's witnesses' names (FORMAT.md §6b); both must co-sign.
pub const WITNESSES: [&str; 2] = ["witness.auditors.example/w1", "witness.partner-society.example/w1"];

/// Names of the board's certifiers, as registered.
pub const CERTIFIERS: [&str; 3] = ["Ruth Okonjo", "Hamid Farouk", "Lena Svensson"];

fn board(s: &mut Server) -> Election {
    let id = s.create(include_str!("../../board-election.toml"), 2);
    let tokens = s.roll(&id, &["1"; 12]);
    // Three committee members, each with a key made offline.
    let mut users = Vec::new();
    let certifiers: Vec<FixedKey> = (0..3).map(certifier_key).collect();
    for (i, name) in CERTIFIERS.iter().enumerate() {
        let password = ops::staff::generate_password().expect("a password");
        let t = s.tick();
        let row = ops::staff::add(
            &mut s.conn,
            &format!("certifier{i}"),
            name,
            Role::Certifier,
            &password,
            t,
        )
        .expect("account");
        let user = StaffUser {
            id: row.id,
            username: row.username,
            display_name: row.display_name,
            role: Role::Certifier,
            totp: false,
            csrf: String::new(),
            session: String::new(),
        };
        let t = s.tick();
        ops::certify::register_key(&mut s.conn, &id, &user, &certifiers[i].public_hex(), t).expect("key registered");
        users.push(user);
    }
    // Two independent witnesses co-sign the log; both must (FORMAT.md §6b).
    let witnesses: Vec<teller_audit::log::Witness> = WITNESSES
        .iter()
        .enumerate()
        .map(|(i, name)| teller_audit::log::Witness {
            name: name.to_string(),
            key: teller_audit::crypto::PublicKey::from_hex(&witness_key(i).public_hex()).expect("a key"),
            url: format!("https://{}", name.trim_end_matches("/w1")),
        })
        .collect();
    ops::witnesses::set_policy(&mut s.conn, &id, &witnesses, 2, ACTOR).expect("witnesses named");
    // A member who lost their code gets a new one (logged as token_reissued).
    let t = s.tick();
    ops::roll::reissue_token(&mut s.conn, &s.secret, &id, "M011", ACTOR, ops::roll::Notify::Member, t)
        .expect("token re-issued");
    let mut records = BTreeMap::new();
    let mut receipts = BTreeMap::new();
    records.insert("draft", s.export(&id));
    s.open(&id);
    let ballots = [
        json!({"directors": ["amara-okafor", "daniel-brooks", "mei-ling-chen"], "treasurer": ["grace-whitfield"], "bylaw-amendment-7": ["yes"]}),
        json!({"directors": ["amara-okafor", "priya-raman"], "treasurer": ["write-in:Jo Bloggs"], "bylaw-amendment-7": ["yes"]}),
        json!({"directors": ["rosa-delgado"], "treasurer": ["grace-whitfield"], "bylaw-amendment-7": ["no"]}),
        // Typed with surrounding and doubled spaces: the cast path normalises them.
        json!({"directors": ["tomasz-nowak", "amara-okafor"], "treasurer": ["write-in:  JO   BLOGGS "], "bylaw-amendment-7": ["yes"]}),
        json!({"directors": [], "treasurer": ["grace-whitfield"], "bylaw-amendment-7": ["abstain"]}),
        // A look-alike spelling (Cyrillic о, U+043E): counted with Jo Bloggs by name key.
        json!({"directors": ["samuel-adeyemi", "priya-raman", "amara-okafor"], "treasurer": ["write-in:J\u{043e} Bloggs"], "bylaw-amendment-7": ["yes"]}),
        json!({"directors": ["daniel-brooks"], "treasurer": ["grace-whitfield"], "bylaw-amendment-7": ["yes"]}),
        json!({"directors": ["mei-ling-chen", "rosa-delgado"], "treasurer": [], "bylaw-amendment-7": ["yes"]}),
        json!({"directors": ["amara-okafor"], "treasurer": ["write-in:Jo Bloggs"], "bylaw-amendment-7": ["no"]}),
        json!({"directors": ["priya-raman", "daniel-brooks"], "treasurer": ["grace-whitfield"], "bylaw-amendment-7": ["yes"]}),
    ];
    let mut all = Vec::new();
    for (i, b) in ballots.iter().enumerate().take(4) {
        all.push(s.cast(&id, &tokens[i], b.clone()));
    }
    s.seal(&id);
    let t = s.tick();
    ops::lifecycle::reschedule(
        &mut s.conn,
        &id,
        Some(T0 + 14 * 86_400),
        "extended by the board",
        ACTOR,
        t,
    )
    .expect("rescheduled");
    for (i, b) in ballots.iter().enumerate().skip(4).take(2) {
        all.push(s.cast(&id, &tokens[i], b.clone()));
    }
    s.seal(&id);
    all.push(s.cast(&id, &tokens[6], ballots[6].clone()));
    // The open record: two seals, one ballot waiting for its seal.
    records.insert("open", s.export(&id));
    for (i, b) in ballots.iter().enumerate().skip(7) {
        all.push(s.cast(&id, &tokens[i], b.clone()));
    }
    s.close(&id);
    records.insert("closed", s.export(&id));
    s.tally(&id);
    records.insert("tallied", s.export(&id));
    let digest = records["tallied"].tally_digest().expect("a tallied record has a tally");
    for (i, user) in users.iter().enumerate().take(2) {
        let st = statement(&id, &digest);
        let signed: SignedStatement = serde_json::from_value(json!({
            "format": st["format"], "election": st["election"], "tally_digest": st["tally_digest"],
            "public_key": certifiers[i].public_hex(),
            "signature": certifiers[i].sign(&canonical(&st)),
        }))
        .expect("a signed statement");
        let t = s.tick();
        ops::certify::certify(&mut s.conn, &s.secret, &id, user, &signed, t).expect("certified");
        if i == 0 {
            records.insert("signed-once", s.export(&id));
        }
    }
    records.insert("certified", s.export(&id));
    receipts.insert("seal-1", all[0].clone());
    receipts.insert("seal-2", all[4].clone());
    receipts.insert("waiting", all[6].clone());
    receipts.insert("at-close", all[8].clone());
    let key = s.key(&id);
    Election {
        id,
        records,
        receipts,
        key,
        certifiers,
    }
}

const WEIGHTED: &str = r#"
title = "Cooperative general meeting (weighted votes)"
description = "Each member votes with the weight of their shares."

[[contest]]
id = "chair"
title = "Chair"
method = "irv"
skipped_ranks = "close-up"
[[contest.candidate]]
name = "Gus"
[[contest.candidate]]
name = "Hal"
[[contest.candidate]]
name = "Ivy"

[[contest]]
id = "council"
title = "Council"
method = "stv-scottish"
seats = 2
skipped_ranks = "refuse"
[[contest.candidate]]
name = "Ann"
[[contest.candidate]]
name = "Bo"
[[contest.candidate]]
name = "Cy"
[[contest.candidate]]
name = "Di"

[[contest]]
id = "board"
title = "Board"
method = "stv-meek"
seats = 2
skipped_ranks = "refuse"
[[contest.candidate]]
name = "Eve"
[[contest.candidate]]
name = "Fay"
[[contest.candidate]]
name = "Guy"
[[contest.candidate]]
name = "Hub"

[[contest]]
id = "panel"
title = "Panel"
method = "approval"
seats = 2
[[contest.candidate]]
name = "Jo"
[[contest.candidate]]
name = "Kim"
[[contest.candidate]]
name = "Lee"

[[contest]]
id = "shares"
title = "Shareholder seat"
method = "cumulative"
points = 3
[[contest.candidate]]
name = "Max"
[[contest.candidate]]
name = "Ned"

[[contest]]
id = "motto"
title = "Motto"
method = "schulze"
[[contest.candidate]]
name = "Onward"
[[contest.candidate]]
name = "Upward"
[[contest.candidate]]
name = "Forward"
"#;

fn weighted(s: &mut Server) -> Election {
    let id = s.create(WEIGHTED, 0);
    let weights = ["1", "2.5", "1", "0.5", "3", "1", "1.25", "2"];
    let tokens = s.roll(&id, &weights);
    s.open(&id);
    // Meek (board, 2 seats): Eve is elected at once; Hub, lowest, is
    // excluded; the last seat is filled when the count completes.
    let ballots = [
        json!({"chair": ["gus", "hal"], "council": ["ann", "bo"], "board": ["eve", "fay"], "panel": ["jo", "kim"], "shares": ["max", "max", "max"], "motto": ["onward", "upward", "forward"]}),
        json!({"chair": ["hal"], "council": ["bo", "ann"], "board": ["eve", "guy"], "panel": ["kim"], "shares": ["ned"], "motto": ["upward", "onward"]}),
        json!({"chair": ["ivy", "hal"], "council": ["cy", "di"], "board": ["fay"], "panel": ["lee", "jo"], "shares": ["max"], "motto": ["forward", "upward"]}),
        json!({"chair": ["ivy", "gus"], "council": ["di", "cy"], "board": ["hub", "guy"], "panel": ["jo"], "shares": ["ned", "ned", "ned"], "motto": ["onward"]}),
        json!({"chair": ["gus"], "council": ["ann", "cy"], "board": ["guy", "eve"], "panel": ["jo", "lee"], "shares": [], "motto": ["upward", "forward", "onward"]}),
        json!({"chair": ["hal", "gus"], "council": ["ann"], "board": ["fay", "hub"], "panel": ["kim", "lee"], "shares": ["max"], "motto": ["onward", "forward"]}),
        json!({"chair": ["gus", "ivy"], "council": ["bo", "cy", "ann"], "board": ["hub"], "panel": [], "shares": ["max", "ned"], "motto": []}),
        json!({"chair": ["ivy"], "council": ["di", "ann"], "board": ["eve"], "panel": ["jo", "kim", "lee"], "shares": ["ned"], "motto": ["forward"]}),
    ];
    let mut receipts = BTreeMap::new();
    for (i, b) in ballots.iter().enumerate() {
        let r = s.cast(&id, &tokens[i], b.clone());
        if i == 1 {
            receipts.insert("weight-2.5", r);
        }
        if i == 3 {
            s.seal(&id);
        }
    }
    s.close(&id);
    s.tally(&id);
    let mut records = BTreeMap::new();
    records.insert("tallied", s.export(&id));
    let key = s.key(&id);
    Election {
        id,
        records,
        receipts,
        key,
        certifiers: vec![],
    }
}

const TIES: &str = r#"
title = "Tied everywhere"
description = "Every contest ends in a tie that only lots can break."

[[contest]]
id = "plur"
title = "Plurality"
method = "plurality"
seats = 1
[[contest.candidate]]
name = "Ada"
[[contest.candidate]]
name = "Bea"
[[contest.candidate]]
name = "Cal"

[[contest]]
id = "runoff"
title = "Instant runoff"
method = "irv"
skipped_ranks = "refuse"
[[contest.candidate]]
name = "Dan"
[[contest.candidate]]
name = "Eli"
[[contest.candidate]]
name = "Fox"
[[contest.candidate]]
name = "Gil"

[[contest]]
id = "council"
title = "Council"
method = "stv-scottish"
seats = 3
skipped_ranks = "refuse"
[[contest.candidate]]
name = "Hal"
[[contest.candidate]]
name = "Ivy"
[[contest.candidate]]
name = "Jon"
[[contest.candidate]]
name = "Kay"
[[contest.candidate]]
name = "Lou"

[[contest]]
id = "panel"
title = "Panel"
method = "approval"
seats = 2
[[contest.candidate]]
name = "Max"
[[contest.candidate]]
name = "Ned"
[[contest.candidate]]
name = "Oli"

[[contest]]
id = "points"
title = "Points"
method = "cumulative"
points = 2
[[contest.candidate]]
name = "Pat"
[[contest.candidate]]
name = "Quin"

[[contest]]
id = "order"
title = "Order"
method = "schulze"
[[contest.candidate]]
name = "Ray"
[[contest.candidate]]
name = "Sal"
[[contest.candidate]]
name = "Tom"

[[contest]]
id = "pairs"
title = "Pairs"
method = "stv-scottish"
seats = 5
skipped_ranks = "refuse"
[[contest.candidate]]
name = "Ann"
[[contest.candidate]]
name = "Ben"
[[contest.candidate]]
name = "Cat"
[[contest.candidate]]
name = "Don"
[[contest.candidate]]
name = "Eva"
[[contest.candidate]]
name = "Fin"

[[contest]]
id = "rank"
title = "Rank"
method = "schulze"
[[contest.candidate]]
name = "Xan"
[[contest.candidate]]
name = "Yul"
[[contest.candidate]]
name = "Zed"

[[contest]]
id = "duo"
title = "Duo"
method = "plurality"
seats = 2
write_ins = true
[[contest.candidate]]
name = "Uma"
[[contest.candidate]]
name = "Vic"
[[contest.candidate]]
name = "Wes"
"#;

fn ties(s: &mut Server) -> Election {
    let id = s.create(TIES, 0);
    let tokens = s.roll(&id, &["1"; 10]);
    s.open(&id);
    // plur: Ada 2, Bea 2, Cal 1 — one seat: lots.
    // runoff: Dan 3, Eli 2, Fox 1, Gil 1 — Fox and Gil tie lowest in round 0.
    // council (3 seats, quota 2): Hal 2 and Ivy 2 elected together (order by
    //   lots), then Jon, Kay and Lou tie lowest: lots.
    // panel (2 seats): Max 3, Ned 2, Oli 2 — the second seat by lots.
    // points: Pat 3, Quin 3 — lots.
    // order: a perfect Condorcet cycle — one group of three across the seat
    //   boundary, ordered by lots.
    // pairs (5 seats, quota 2): Ann 3, Ben 3, Cat 2, Don 2 elected in round 0
    //   as two groups of equal totals, each ordered by lots (election-order/k
    //   restarts at 1 for each group); Ann's and Ben's equal surpluses go
    //   first by lots; Eva and Fin then tie for exclusion.
    // rank: Xan beats both; Yul and Zed are equal below the seat: a ranking tie.
    // duo (2 seats, write-ins allowed): Uma 2, Vic 2 fill both seats
    //   together, no lots.
    let blank = json!({"plur": [], "runoff": [], "council": [], "panel": [], "points": [], "order": []});
    let with = |base: &Value, pairs: &[&str], rank: &[&str], duo: &[&str]| {
        let mut b = base.clone();
        b["pairs"] = json!(pairs);
        b["rank"] = json!(rank);
        b["duo"] = json!(duo);
        b
    };
    let ballots = [
        with(
            &json!({"plur": ["ada"], "runoff": ["dan"], "council": ["hal"], "panel": ["max", "ned"], "points": ["pat", "pat"], "order": ["ray", "sal", "tom"]}),
            &["ann", "eva"],
            &["xan"],
            &["uma"],
        ),
        with(
            &json!({"plur": ["ada"], "runoff": ["dan"], "council": ["hal"], "panel": ["max", "oli"], "points": ["quin", "quin"], "order": ["sal", "tom", "ray"]}),
            &["ann", "fin"],
            &["xan"],
            &["uma"],
        ),
        with(
            &json!({"plur": ["bea"], "runoff": ["dan"], "council": ["ivy"], "panel": ["max"], "points": ["pat"], "order": ["tom", "ray", "sal"]}),
            &["ann"],
            &[],
            &["vic"],
        ),
        with(
            &json!({"plur": ["bea"], "runoff": ["eli"], "council": ["ivy"], "panel": ["ned"], "points": ["quin"], "order": []}),
            &["ben", "eva"],
            &[],
            &["vic"],
        ),
        with(
            &json!({"plur": ["cal"], "runoff": ["eli"], "council": ["jon", "kay"], "panel": ["oli"], "points": [], "order": []}),
            &["ben"],
            &[],
            &["wes"],
        ),
        with(
            &json!({"plur": [], "runoff": ["fox", "dan"], "council": ["kay", "lou"], "panel": [], "points": [], "order": []}),
            &["ben", "fin"],
            &[],
            &[],
        ),
        with(
            &json!({"plur": [], "runoff": ["gil", "eli"], "council": ["lou", "jon"], "panel": [], "points": [], "order": []}),
            &["cat"],
            &[],
            &[],
        ),
        with(&blank, &["cat", "eva"], &[], &[]),
        with(&blank, &["don"], &[], &[]),
        with(&blank, &["don", "fin"], &[], &[]),
    ];
    for (i, b) in ballots.iter().enumerate() {
        s.cast(&id, &tokens[i], b.clone());
    }
    s.close(&id);
    s.tally(&id);
    let mut records = BTreeMap::new();
    records.insert("tallied", s.export(&id));
    let key = s.key(&id);
    Election {
        id,
        records,
        receipts: BTreeMap::new(),
        key,
        certifiers: vec![],
    }
}
