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
    /// (f): an encrypted election (FORMAT.md §14–§16): three trustees, any
    /// two of whom decrypt.
    pub encrypted: Encrypted,
}

/// The encrypted election as run, with what its cases need besides.
pub struct Encrypted {
    /// Its records, receipts and key, as for the plain elections.
    pub election: Election,
    /// The audited ballot file the member's device made (§16.10), as sent.
    pub audited: Value,
    /// The trustees' Ed25519 signing keys (trustee `j` at `j − 1`), from
    /// their secret files: tampered ceremony messages and partial
    /// decryptions are signed again with them.
    pub trustees: Vec<FixedKey>,
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
    let trustees = dir.join("trustees");
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
        encrypted: encrypted(&mut server, &trustees),
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

/// The trustees of the encrypted election, by index from 1.
pub const TRUSTEES: [&str; 3] = ["Ada Lovelace", "Grace Hopper", "Alan Turing"];

/// `teller-audit trustee …`, parsed as the binary parses it.
#[derive(clap::Parser)]
struct TrusteeCli {
    #[command(subcommand)]
    command: teller_audit::trustees::cli::TrusteeCommand,
}

/// Run a trustee's command line (`keygen --board … --dir …`) in process;
/// whether it wrote a message.
fn trustee_command(args: &[String]) -> bool {
    use clap::Parser;
    let cli = TrusteeCli::try_parse_from(std::iter::once("trustee".to_string()).chain(args.iter().cloned()))
        .unwrap_or_else(|e| panic!("a trustee command line {args:?}: {e}"));
    teller_audit::trustees::cli::run(&cli.command).unwrap_or_else(|e| panic!("trustee {args:?}: {e}"))
}

/// Path as a command-line word.
fn word(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

impl Server {
    /// Write the ceremony's board file, as Teller serves it, to `path`.
    fn board(&mut self, id: &str, path: &Path) {
        let ceremony = ops::ceremony::load(&mut self.conn, id)
            .expect("the ceremony loads")
            .expect("the election has trustees");
        let (file, _) = ceremony.board.expect("every trustee is named");
        std::fs::write(path, serde_json::to_vec(&file).expect("the board is JSON")).expect("write the board");
    }

    /// Each trustee runs `command` on the board as it stands and uploads
    /// the message it writes (`extra`: arguments after the board's).
    fn trustees_run(&mut self, id: &str, dir: &Path, command: &str, who: &[u32], extra: &[String]) {
        for &j in who {
            let board = dir.join("board.json");
            self.board(id, &board);
            let out = dir.join(format!("{command}-{j}-{}.json", self.now));
            let mut args = vec![command.to_string(), "--board".into(), word(&board)];
            if command == "keygen" {
                args.extend(["--trustee".to_string(), j.to_string()]);
            }
            args.extend(["--dir".to_string(), word(&dir.join(format!("trustee-{j}")))]);
            args.extend(extra.iter().cloned());
            args.extend(["--out".to_string(), word(&out)]);
            assert!(trustee_command(&args), "trustee {j} had nothing to do in {command}");
            let bytes = std::fs::read(&out).expect("the message was written");
            let t = self.tick();
            if command == "decrypt" {
                ops::decryption::post_share(&mut self.conn, id, j, &bytes, t)
                    .expect("the partial decryption is accepted");
            } else {
                ops::ceremony::post(&mut self.conn, id, j, &bytes, t).expect("the ceremony message is accepted");
            }
        }
    }

    /// Encrypt `choices` for a member of `weight` as the no-JavaScript path
    /// does (the server encrypts), with a fresh seed and nonce.
    fn encrypt(&mut self, id: &str, choices: &Value, weight: &str) -> ops::encrypted::ServerEncrypted {
        let enc = ops::encrypted::Encryption::load(&mut self.conn, id)
            .expect("read")
            .expect("the election is open and encrypted");
        let choices: BTreeMap<String, Vec<String>> = serde_json::from_value(choices.clone()).expect("choices");
        let weight = teller_audit::count::Weight::parse(weight).expect("a weight");
        enc.encrypt(&choices, weight).expect("encrypted")
    }

    /// Cast an encrypted ballot (its bytes as a device posts them) with
    /// `token`, through the cast checks of §15.7; the receipt.
    fn cast_encrypted(&mut self, id: &str, token: &teller::domain::token::Token, bytes: &[u8]) -> Value {
        let enc = ops::encrypted::Encryption::load(&mut self.conn, id)
            .expect("read")
            .expect("the election is open and encrypted");
        let prepared = ops::encrypted::prepare(&enc, &self.secret, token, bytes, None)
            .unwrap_or_else(|e| panic!("the cast checks refused a ballot: {e}"));
        let t = self.tick();
        let unsigned = ops::cast::commit_batch(&mut self.conn, vec![prepared], t)
            .expect("the cast commits")
            .pop()
            .expect("one cast")
            .unwrap_or_else(|e| panic!("the cast was refused: {e}"));
        let receipt = ops::cast::sign_batch(&self.secret, vec![unsigned])
            .pop()
            .expect("one receipt")
            .expect("signed");
        serde_json::to_value(&receipt).expect("a receipt is JSON")
    }
}

/// (f) The example encrypted election: the trustees' key ceremony run with
/// their own commands (`teller-audit trustee keygen`, `share` twice,
/// `check`, `finish`), members' ballots encrypted and cast through the cast
/// checks, one ballot audited (cast-or-audit) instead of cast, the close's
/// aggregate decrypted by trustees 1 and 3 (`teller-audit trustee decrypt`),
/// and the tally made from the totals.
fn encrypted(s: &mut Server, dir: &Path) -> Encrypted {
    std::fs::create_dir_all(dir).expect("mkdir trustees");
    let id = s.create(include_str!("../../encrypted-election.toml"), 0);
    let tokens = s.roll(&id, &["1", "2.5", "1", "1", "0.5", "1"]);
    for name in TRUSTEES {
        let t = s.tick();
        ops::ceremony::name_trustee(&mut s.conn, &id, name, None, ACTOR, t).expect("trustee named");
    }
    let all = [1, 2, 3];
    s.trustees_run(&id, dir, "keygen", &all, &[]);
    // Round commit, then round deal: both are `share`.
    let mut records = BTreeMap::new();
    s.trustees_run(&id, dir, "share", &all, &[]);
    s.trustees_run(&id, dir, "share", &all, &[]);
    // Mid-ceremony: every trustee has dealt, none has checked yet.
    records.insert("dealt", s.export(&id));
    s.trustees_run(&id, dir, "check", &all, &[]);
    s.trustees_run(&id, dir, "finish", &all, &[]);
    records.insert("draft", s.export(&id));
    s.open(&id);
    let definition = records["draft"].v["election"]["definition"].clone();
    let contest = |i: usize| definition["contests"][i]["id"].as_str().unwrap_or_default().to_string();
    let option = |c: usize, o: usize| {
        definition["contests"][c]["candidates"][o]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let kinds: Vec<String> = definition["contests"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["method"]["kind"].as_str().unwrap_or_default().to_string())
        .collect();
    // Contest `i`'s choice: its option `o` (a referendum: yes, no, abstain).
    let pick = |i: usize, o: usize| -> Vec<String> {
        match kinds[i].as_str() {
            "referendum" => vec![["yes", "no", "abstain"][o % 3].to_string()],
            _ => vec![option(i, o)],
        }
    };
    let n = kinds.len();
    // Choices in every contest: those `picks` names, the others blank.
    let ballot = |picks: &[(usize, Vec<String>)]| {
        let mut choices = serde_json::Map::new();
        for i in 0..n {
            let chosen = picks
                .iter()
                .find(|(k, _)| *k == i)
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            choices.insert(contest(i), json!(chosen));
        }
        Value::Object(choices)
    };
    let votes: Vec<Value> = vec![
        ballot(&(0..n).map(|i| (i, pick(i, 0))).collect::<Vec<_>>()),
        ballot(&(0..n).map(|i| (i, pick(i, 1))).collect::<Vec<_>>()),
        ballot(&[(0, [option(0, 0), option(0, 2)].to_vec())]),
        ballot(&(0..n).map(|i| (i, pick(i, 2))).collect::<Vec<_>>()),
        ballot(&[]),
    ];
    let weights = ["1", "2.5", "1", "1", "0.5"];
    let mut receipts = BTreeMap::new();
    let mut cast = Vec::new();
    for (i, v) in votes.iter().enumerate().take(3) {
        let e = s.encrypt(&id, v, weights[i]);
        cast.push(s.cast_encrypted(&id, &tokens[i], &e.bytes));
    }
    // Member 3 checks an encryption first (cast-or-audit): the page makes
    // the audited ballot, and the server keeps it; then they cast anew.
    let checked = s.encrypt(&id, &votes[3], weights[3]);
    let enc = ops::encrypted::Encryption::load(&mut s.conn, &id)
        .expect("read")
        .expect("open and encrypted");
    let audited = json!({
        "format": teller_audit::encrypted::audited::AUDITED_BALLOT_FORMAT,
        "definition": definition,
        "encryption": {
            "threshold": enc.threshold,
            "joint_key": enc.joint_key.to_hex(),
            "verification_keys": enc.verification_keys.iter().map(|(j, k)| json!({"trustee": j, "key": k.to_hex()})).collect::<Vec<_>>(),
        },
        "ballot": checked.ballot,
        "tracker": checked.tracker.to_hex(),
        "seed": checked.seed.to_hex(),
        "choices": votes[3],
    });
    let t = s.tick();
    ops::encrypted::accept_audited(&mut s.conn, &enc, &canonical(&audited), t).expect("the audited ballot is kept");
    s.seal(&id);
    for (i, v) in votes.iter().enumerate().skip(3) {
        let e = s.encrypt(&id, v, weights[i]);
        cast.push(s.cast_encrypted(&id, &tokens[i], &e.bytes));
    }
    records.insert("open", s.export(&id));
    s.close(&id);
    records.insert("closed", s.export(&id));
    let request = dir.join("request.json");
    let bytes = ops::decryption::request(&mut s.conn, &id).expect("the decryption request");
    std::fs::write(&request, bytes).expect("write the request");
    s.trustees_run(&id, dir, "decrypt", &[1, 3], &["--request".to_string(), word(&request)]);
    records.insert("decrypted", s.export(&id));
    s.tally(&id);
    records.insert("tallied", s.export(&id));
    receipts.insert("seal-1", cast[0].clone());
    receipts.insert("at-close", cast[4].clone());
    let key = s.key(&id);
    let trustees = (1..=TRUSTEES.len())
        .map(|j| {
            let file: Value = serde_json::from_slice(
                &std::fs::read(dir.join(format!("trustee-{j}/trustee.json"))).expect("the trustee's secret file"),
            )
            .expect("JSON");
            let seed = hex::decode(file["signing_seed"].as_str().unwrap_or_default()).expect("hex");
            FixedKey::from_seed(&seed.try_into().expect("32 bytes"))
        })
        .collect();
    Encrypted {
        election: Election {
            id,
            records,
            receipts,
            key,
            certifiers: vec![],
        },
        audited,
        trustees,
    }
}
