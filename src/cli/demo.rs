//! `teller demo`: a throw-away election to try Teller in a minute.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::db;
use crate::domain::spec;
use crate::ops::{create, lifecycle, roll};
use crate::secrets::MasterSecret;
use crate::time::now;

const FIRST: [&str; 24] = [
    "Ada", "Bilal", "Carmen", "Dmitri", "Esther", "Farah", "Gabriel", "Hana", "Ibrahim", "Julia", "Kwame", "Lena",
    "Marco", "Nadia", "Oscar", "Pilar", "Quentin", "Rania", "Stefan", "Tamsin", "Uma", "Victor", "Wen", "Yusuf",
];
const LAST: [&str; 20] = [
    "Abara",
    "Bianchi",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Gupta",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Mensah",
    "Novak",
    "O'Brien",
    "Petrov",
    "Quispe",
    "Rossi",
    "Sato",
    "Tanaka",
];

/// A sample roll: `member_id,name,email,language`, a few members without
/// e-mail, one in four reading Spanish.
pub fn sample_roll(members: u32) -> String {
    let mut csv = String::from("member_id,name,email,language,membership_class\n");
    for i in 0..members {
        let first = FIRST[(i as usize) % FIRST.len()];
        let last = LAST[(i as usize * 7 + i as usize / FIRST.len()) % LAST.len()];
        let email = if i % 25 == 24 {
            String::new()
        } else {
            format!(
                "{}.{}{}@example.org",
                first.to_lowercase(),
                last.to_lowercase().replace('\'', ""),
                i
            )
        };
        let class = if i % 5 == 0 { "fellow" } else { "member" };
        let language = if i % 4 == 1 { "es" } else { "en" };
        let _ = writeln!(csv, "PT-{:05},\"{first} {last}\",{email},{language},{class}", 1000 + i);
    }
    csv
}

/// `teller demo`. With `verbose`, the summary it prints also lists the
/// encrypted election's trustees' folders and the commands trustee 1 ran
/// (which are in `<data>/trustees/ceremony.log` either way).
pub fn run(
    data_dir: Option<PathBuf>,
    listen: &str,
    public_url: Option<String>,
    members: u32,
    verbose: bool,
) -> Result<()> {
    let dir = match data_dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!(
            "teller-demo-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        )),
    };
    // Owner-only: it will hold the database (the roll), the master secret and every code.
    crate::files::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let db_path = dir.join("teller.db");
    let secret_path = dir.join("master.key");
    if db_path.exists() || secret_path.exists() {
        anyhow::bail!(
            "{} already holds a demo; give a new --data-dir, or run Teller on it with `teller serve`",
            dir.display()
        );
    }
    let secret = MasterSecret::generate_file(&secret_path)?;
    let db_url = db_path.to_string_lossy().to_string();
    let pool = db::connect(&db_url, 8)?;
    let public_url = public_url.unwrap_or_else(|| format!("http://{listen}"));

    let mut parsed =
        spec::parse(include_str!("../../examples/board-election.toml")).map_err(crate::ops::OpError::Definition)?;
    // Seal often so a newcomer sees their ballot in the log within a minute.
    parsed.seal_interval_seconds = 30;
    parsed.seal_min_ballots = 1;
    // Whoever runs the demo, in the `cli:USER` form of FORMAT.md §5 rule 6.
    let actor = &crate::ops::cli_actor();
    let mut conn = db::get(&pool)?;
    let id = create::create_election(&mut conn, &secret, &parsed, actor, now())?;
    roll::import_roll(&mut conn, &id, sample_roll(members.max(1)).as_bytes(), actor, now())?;
    demo_presentation(&mut conn, &id, &parsed.definition)?;
    let witnesses = demo_witnesses(&mut conn, &dir, &id, &public_url, actor)?;
    let issued = roll::issue_tokens(&mut conn, &secret, &id, actor, now())?;
    // The trustees' commands run in child processes, what they print kept
    // in a file: the terminal gets the summary below.
    let log = super::demo_encrypted::ceremony_log(&dir);
    let encrypted = super::demo_encrypted::create_with(
        &mut conn,
        &secret,
        &dir,
        &public_url,
        members,
        actor,
        super::demo_encrypted::Trustees::Logged(&log),
    )?;
    let tokens_path = dir.join("tokens.csv");
    let file =
        crate::files::create_new(&tokens_path).with_context(|| format!("cannot create {}", tokens_path.display()))?;
    roll::write_tokens_csv(std::io::BufWriter::new(file), &public_url, &issued)?;
    lifecycle::open(&mut conn, &secret, &id, actor, now())?;
    let password = crate::ops::staff::generate_password()?;
    crate::ops::staff::add(
        &mut conn,
        "demo",
        "Demo Administrator",
        crate::domain::roles::Role::Administrator,
        &password,
        now(),
    )
    .map_err(|e| anyhow::anyhow!("cannot create the demo staff account: {e}"))?;
    demo_organisation(&mut conn, actor)?;
    drop(conn);

    let mut banner = String::new();
    let _ = writeln!(banner, "\nTeller demo is running.\n");
    let _ = writeln!(banner, "  Election page:  {public_url}/e/{id}");
    let _ = writeln!(banner, "  Enter a code:   {public_url}/vote\n");
    let _ = writeln!(
        banner,
        "Vote as one of {} sample members by opening a link:",
        issued.len()
    );
    for t in issued.iter().take(5) {
        let _ = writeln!(banner, "  {:<22} {}", t.name, roll::voting_link(&public_url, &t.token));
    }
    let _ = writeln!(
        banner,
        "  (all {} links are in {})\n",
        issued.len(),
        tokens_path.display()
    );
    let _ = writeln!(banner, "Run the election in the staff console:");
    let _ = writeln!(banner, "  {public_url}/staff   username: demo   password: {password}\n");
    let _ = writeln!(banner, "Or act as election staff from another terminal:");
    let _ = writeln!(
        banner,
        "  export TELLER_DATABASE_URL={} TELLER_MASTER_SECRET_FILE={}",
        db_path.display(),
        secret_path.display()
    );
    let _ = writeln!(banner, "  cargo run --release -- status {id}");
    let _ = writeln!(banner, "  cargo run --release -- election close {id}");
    let _ = writeln!(banner, "  cargo run --release -- election tally {id}");
    let _ = writeln!(banner, "  cargo run --release -- export {id} --out record.json");
    let _ = writeln!(banner, "  cargo run --release -p teller-audit -- verify record.json\n");
    let _ = writeln!(
        banner,
        "Two independent witnesses co-sign the log's checkpoints (here in this process,"
    );
    let _ = writeln!(
        banner,
        "on loopback; their keys and state are in {}). Each could run on its own machine:",
        dir.display()
    );
    for w in &witnesses.printed {
        let _ = writeln!(banner, "  {w}");
    }
    let _ = writeln!(
        banner,
        "  The cosigned checkpoint: {public_url}/api/v1/elections/{id}/log/checkpoint\n"
    );
    banner.push_str(&super::demo_encrypted::banner(&encrypted, &public_url, &dir, verbose));
    let _ = writeln!(
        banner,
        "Ballots are sealed into the public log every 30 seconds. Ctrl-C stops the demo;"
    );
    let _ = write!(banner, "its files stay in {}.", dir.display());
    // The demo society's election office, shown on every page and message.
    crate::office::set(crate::office::Office {
        name: "Election Office, Society of Pharmacy Technicians (demo)".into(),
        email: "elections@example.org".into(),
        phone: "+1 555 0100".into(),
        hours: "Monday to Friday, 9:00-17:00".into(),
    });
    super::serve_blocking(
        pool,
        secret,
        public_url,
        super::Listen {
            public: listen,
            metrics: None,
        },
        5,
        Some(banner),
        None,
        |_| {},
    )
}

/// The demo's witnesses, serving on their own thread until the demo stops.
struct DemoWitnesses {
    /// The command that would run each on its own.
    printed: Vec<String>,
}

/// Two witnesses (audit/FORMAT.md §6b) for the demo election: keys made as
/// `teller-audit witness keygen` makes them, a logs file naming the
/// election's log, state directories, all in `dir`; served on loopback
/// ports on a thread of their own; named by the election, both required.
fn demo_witnesses(
    conn: &mut db::AnyConnection,
    dir: &std::path::Path,
    id: &str,
    public_url: &str,
    actor: &str,
) -> Result<DemoWitnesses> {
    use teller_audit::witness::{cli, server, state::StateDir, Witness};
    let row = crate::store::elections::find(conn, id)?.context("the demo election")?;
    let log = teller_audit::note::LogKey {
        origin: teller_audit::note::origin(crate::ops::tree::host_of(public_url), id),
        key: row.public_key()?,
    };
    let logs_file = dir.join("witness-logs.txt");
    std::fs::write(&logs_file, format!("# The demo election's log.\n{}\n", log.vkey()))?;
    let mut named = Vec::new();
    let mut running = Vec::new();
    let mut printed = Vec::new();
    for (i, name) in ["auditors.demo.example/witness", "partner-society.demo.example/witness"]
        .iter()
        .enumerate()
    {
        let key_file = dir.join(format!("witness-{}.key", i + 1));
        let vkey = cli::new_key_file(name, &key_file).map_err(anyhow::Error::msg)?;
        let (name, pair) = cli::read_key(&key_file).map_err(anyhow::Error::msg)?;
        let state = dir.join(format!("witness-{}", i + 1));
        let witness = Witness::open(&name, pair, std::slice::from_ref(&log), StateDir::open(&state)?)?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        named.push(crate::ops::witnesses::parse_witness(&vkey, &format!("http://{addr}")).map_err(anyhow::Error::msg)?);
        printed.push(format!(
            "teller-audit witness serve --key {} --logs {} --state {} --listen {addr}",
            key_file.display(),
            logs_file.display(),
            state.display()
        ));
        running.push((listener, witness));
    }
    crate::ops::witnesses::set_policy(conn, id, &named, 2, actor)?;
    std::thread::Builder::new()
        .name("demo-witnesses".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async move {
                let mut served = Vec::new();
                for (listener, witness) in running {
                    if let Ok(listener) = tokio::net::TcpListener::from_std(listener) {
                        let stop = std::future::pending::<()>();
                        served.push(tokio::spawn(server::serve(
                            listener,
                            std::sync::Arc::new(witness),
                            server::Limits::default(),
                            stop,
                        )));
                    }
                }
                for s in served {
                    let _ = s.await;
                }
            });
        })?;
    Ok(DemoWitnesses { printed })
}

/// The election in Spanish, and the Board candidates' photos and profiles
/// (drawn portraits), set while the election is a draft.
pub fn demo_presentation(
    conn: &mut db::AnyConnection,
    id: &str,
    definition: &teller_audit::definition::Definition,
) -> Result<()> {
    use std::collections::BTreeMap;
    let texts: BTreeMap<String, String> = SPANISH.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    crate::domain::texts::check(definition, &texts).map_err(|e| anyhow::anyhow!("demo texts: {e}"))?;
    crate::store::texts::save(conn, id, crate::i18n::Lang::Es, &texts)?;
    let Some(directors) = definition.contests.iter().find(|c| c.id == "directors") else {
        return Ok(());
    };
    for (i, c) in directors.candidates.iter().enumerate() {
        let key = crate::store::profiles::CandidateKey {
            election: id.to_string(),
            contest: directors.id.clone(),
            candidate: c.id.clone(),
        };
        let photo =
            crate::domain::photo::prepare(&demo_portrait(i)?).map_err(|e| anyhow::anyhow!("demo portrait: {e}"))?;
        crate::store::profiles::set_photo(conn, &key, &photo, now())?;
        let profile = format!(
            "{}\n\nA member of the Society for {} years, {} has served on two of its working groups and \
             answers members' questions at the regional meetings.",
            c.statement,
            6 + i * 3,
            c.name
        );
        crate::store::profiles::set_profile(conn, &key, &profile, now())?;
    }
    Ok(())
}

/// The demo election's own texts in Spanish.
const SPANISH: &[(&str, &str)] = &[
    ("title", "Sociedad de Técnicos de Farmacia — Elección de la Junta 2026"),
    (
        "description",
        "Los miembros eligen a tres directores de la Junta y al Tesorero, y deciden sobre una enmienda a los \
         Estatutos. Puede dejar en blanco cualquier votación.",
    ),
    ("contest.directors.title", "Junta Directiva"),
    (
        "contest.directors.description",
        "Tres puestos, cada uno por un mandato de tres años.",
    ),
    (
        "candidate.directors.amara-okafor.statement",
        "Técnica de farmacia hospitalaria desde hace 12 años; defenderé horas pagadas de formación continua.",
    ),
    (
        "candidate.directors.daniel-brooks.statement",
        "Responsable de farmacia comunitaria. Salarios justos y plantillas seguras en todas las cadenas.",
    ),
    (
        "candidate.directors.mei-ling-chen.statement",
        "Especialista en formulación y formadora; un programa de mentoría para los nuevos técnicos.",
    ),
    (
        "candidate.directors.rosa-delgado.statement",
        "Dos mandatos como secretaria regional. Presupuestos transparentes y más reuniones regionales.",
    ),
    (
        "candidate.directors.tomasz-nowak.statement",
        "Supervisor de preparaciones estériles; reconocimiento nacional de las certificaciones avanzadas.",
    ),
    (
        "candidate.directors.priya-raman.statement",
        "Técnica de informática; modernizar la comunicación de la Sociedad con sus miembros.",
    ),
    (
        "candidate.directors.samuel-adeyemi.statement",
        "Enlace con los estudiantes; cuotas más bajas para los técnicos en sus dos primeros años.",
    ),
    ("contest.treasurer.title", "Tesorero"),
    (
        "contest.treasurer.description",
        "Un puesto, mandato de dos años. Quien gane necesita la mayoría de las papeletas emitidas en esta votación \
         (Estatuto 4.2).",
    ),
    (
        "candidate.treasurer.grace-whitfield.statement",
        "Contable colegiada y técnica certificada; actual tesorera adjunta.",
    ),
    (
        "candidate.treasurer.omar-haddad.statement",
        "Dirigió la revisión del presupuesto de 2024 de la Sociedad; propone publicar las cuentas cada trimestre.",
    ),
    (
        "contest.bylaw-amendment-7.title",
        "Enmienda 7 de los Estatutos: voto electrónico",
    ),
    (
        "contest.bylaw-amendment-7.description",
        "¿Debe modificarse el artículo 7 de los Estatutos para que todas las futuras elecciones y votaciones de los \
         miembros puedan celebrarse por medios electrónicos? Para aprobarse necesita al menos dos tercios de los \
         votos emitidos; las abstenciones no cuentan como votos emitidos.",
    ),
];

/// A drawn portrait (a head and shoulders on a coloured ground), as PNG.
fn demo_portrait(i: usize) -> Result<Vec<u8>> {
    const GROUNDS: [[u8; 3]; 7] = [
        [196, 222, 240],
        [240, 214, 196],
        [208, 236, 208],
        [236, 220, 240],
        [244, 236, 196],
        [200, 228, 228],
        [228, 212, 212],
    ];
    const SKIN: [[u8; 3]; 4] = [[141, 85, 36], [198, 134, 66], [224, 172, 105], [241, 194, 125]];
    let ground = GROUNDS[i % GROUNDS.len()];
    let skin = SKIN[(i * 3) % SKIN.len()];
    let coat = [40 + (i as u8 * 29) % 120, 60, 90 + (i as u8 * 17) % 100];
    let size = 240u32;
    let image = image::RgbImage::from_fn(size, size, |x, y| {
        let (x, y) = (x as f64, y as f64);
        let head = ((x - 120.0).powi(2) / 45.0f64.powi(2) + (y - 95.0).powi(2) / 55.0f64.powi(2)) < 1.0;
        let shoulders = ((x - 120.0).powi(2) / 95.0f64.powi(2) + (y - 250.0).powi(2) / 90.0f64.powi(2)) < 1.0;
        image::Rgb(if head {
            skin
        } else if shoulders {
            coat
        } else {
            ground
        })
    });
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .context("drawing a demo portrait")?;
    Ok(png)
}

/// The demo society's look (docs/CONSOLE.md, "The organisation's look"):
/// its names, colours, office, privacy notice and a drawn logo.
pub fn demo_organisation(conn: &mut db::AnyConnection, actor: &str) -> Result<()> {
    use crate::store::organisation as store;
    let fields = store::ProfileFields {
        name: "Society of Pharmacy Technicians".into(),
        short_name: "SPT".into(),
        primary_colour: "#0b5d3b".into(),
        accent_colour: "#8a4b00".into(),
        office_name: "Election Office, Society of Pharmacy Technicians (demo)".into(),
        office_email: "elections@example.org".into(),
        office_phone: "+1 555 0100".into(),
        office_hours: "Monday to Friday, 9:00-17:00".into(),
        privacy_url: "https://example.org/privacy".into(),
    };
    let logo = crate::domain::logo::process(&demo_logo()?).map_err(|e| anyhow::anyhow!("demo logo: {e}"))?;
    db::write_tx(conn, |conn| {
        store::save(conn, &fields, actor, now())?;
        store::set_logo(conn, Some((&logo.png, logo.width, logo.height)), actor, now())?;
        Ok::<_, crate::ops::OpError>(())
    })?;
    Ok(())
}

/// A green disc with a white cross on a transparent ground, as PNG.
fn demo_logo() -> Result<Vec<u8>> {
    let size = 192u32;
    let centre = size as f64 / 2.0;
    let image = image::RgbaImage::from_fn(size, size, |x, y| {
        let (dx, dy) = (x as f64 + 0.5 - centre, y as f64 + 0.5 - centre);
        let inside = (dx * dx + dy * dy).sqrt() < centre - 2.0;
        let cross = (dx.abs() < 18.0 && dy.abs() < 60.0) || (dy.abs() < 18.0 && dx.abs() < 60.0);
        match (inside, cross) {
            (true, true) => image::Rgba([255, 255, 255, 255]),
            (true, false) => image::Rgba([11, 93, 59, 255]),
            _ => image::Rgba([0, 0, 0, 0]),
        }
    });
    let mut png = Vec::new();
    image::DynamicImage::ImageRgba8(image)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .context("drawing the demo logo")?;
    Ok(png)
}
