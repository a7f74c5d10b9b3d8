//! Candidates presented properly, over real HTTP: photos uploaded in the
//! console (real PNG and JPEG files, made here), made Teller's own (square,
//! 240 px, no EXIF), served from this origin; a longer profile on the
//! candidate's page; both on the ballot and the election page once the polls
//! open, and frozen from then on. Bad uploads are refused and change nothing.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::form::unescape;
use common::staff::{add_staff, csrf_of, get, sign_in};
use common::{Backend, TestApp};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{ImageBuffer, Rgb, Rgba};
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION, SET_COOKIE};
use reqwest::StatusCode;

const SECRET_PLACE: &[u8] = b"GPS 51.5007N 0.1246W secret-place";

/// A real JPEG of `w` × `h` pixels carrying an EXIF block (an image
/// description holding [`SECRET_PLACE`], as a phone's GPS tags would).
fn jpeg_with_exif(w: u32, h: u32) -> Vec<u8> {
    let img = ImageBuffer::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 140]));
    let mut plain = Vec::new();
    img.write_with_encoder(JpegEncoder::new_with_quality(&mut plain, 90))
        .unwrap();
    // TIFF, big-endian: IFD0 with one entry, ImageDescription (0x010E, ASCII).
    let text_len = SECRET_PLACE.len() as u32 + 1;
    let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&0x010Eu16.to_be_bytes());
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&text_len.to_be_bytes());
    tiff.extend_from_slice(&(8u32 + 2 + 12 + 4).to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(SECRET_PLACE);
    tiff.push(0);
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = plain[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

fn png(w: u32, h: u32, alpha: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if alpha {
        let img = ImageBuffer::from_fn(w, h, |x, y| Rgba([(x % 256) as u8, 30, (y % 256) as u8, 160]));
        img.write_with_encoder(PngEncoder::new(&mut out)).unwrap();
    } else {
        let img = ImageBuffer::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, 30, (y % 256) as u8]));
        img.write_with_encoder(PngEncoder::new(&mut out)).unwrap();
    }
    out
}

/// CRC-32 as PNG chunks use it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A small PNG whose header declares `side` × `side` pixels.
fn png_declaring(side: u32) -> Vec<u8> {
    let mut bomb = png(1, 1, true);
    bomb[16..20].copy_from_slice(&side.to_be_bytes());
    bomb[20..24].copy_from_slice(&side.to_be_bytes());
    let crc = crc32(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    bomb
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

struct Console<'a> {
    app: &'a TestApp,
    cookie: String,
    id: String,
}

impl Console<'_> {
    fn editor(&self, contest: &str, candidate: &str) -> String {
        format!("/staff/elections/{}/candidates/{contest}/{candidate}", self.id)
    }

    async fn csrf(&self) -> String {
        let (_, page) = get(self.app, &self.cookie, "/staff").await;
        csrf_of(&page)
    }

    async fn upload_with(&self, contest: &str, candidate: &str, csrf: &str, bytes: Vec<u8>) -> (StatusCode, String) {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.to_string())
            .part("photo", reqwest::multipart::Part::bytes(bytes).file_name("photo.jpg"));
        let res = self
            .app
            .http
            .post(self.app.url(&format!("{}/photo", self.editor(contest, candidate))))
            .header("cookie", &self.cookie)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let location = res.headers().get(LOCATION).map(|l| l.to_str().unwrap().to_string());
        (status, location.unwrap_or(res.text().await.unwrap()))
    }

    async fn upload(&self, contest: &str, candidate: &str, bytes: Vec<u8>) -> (StatusCode, String) {
        let csrf = self.csrf().await;
        self.upload_with(contest, candidate, &csrf, bytes).await
    }

    async fn post(&self, contest: &str, candidate: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let csrf = self.csrf().await;
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        let res = self
            .app
            .http
            .post(self.app.url(&self.editor(contest, candidate)))
            .header("cookie", &self.cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let location = res.headers().get(LOCATION).map(|l| l.to_str().unwrap().to_string());
        (status, location.unwrap_or(res.text().await.unwrap()))
    }

    /// The photo as staff see it: status, content type, bytes.
    async fn photo(&self, contest: &str, candidate: &str) -> (StatusCode, String, Vec<u8>) {
        let res = self
            .app
            .http
            .get(self.app.url(&format!("{}/photo", self.editor(contest, candidate))))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let kind = res
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (status, kind, res.bytes().await.unwrap().to_vec())
    }
}

async fn public_get(app: &TestApp, path: &str) -> reqwest::Response {
    app.http.get(app.url(path)).send().await.unwrap()
}

async fn photos_and_profiles(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_staff(&app, "olu", "officer", "a long enough password");
    add_staff(&app, "obi", "observer", "a long enough password");
    let cookie = sign_in(&app, "olu", "a long enough password", "").await.unwrap();
    let (id, tokens) = app.draft_with_tokens(include_str!("../../examples/board-election.toml"), 2);
    let staff = Console {
        app: &app,
        cookie,
        id: id.clone(),
    };

    // The builder links each saved candidate to their photo and profile.
    let (status, builder) = get(&app, &staff.cookie, &format!("/staff/elections/{id}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        builder.contains(&format!(
            "href=\"/staff/elections/{id}/candidates/directors/amara-okafor\">Photo and profile"
        )),
        "{builder}"
    );
    let (status, editor) = get(&app, &staff.cookie, &staff.editor("directors", "amara-okafor")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(editor.contains("Photo and profile: Amara Okafor") && editor.contains("No photo."));
    assert!(editor.contains("enctype=\"multipart/form-data\""));

    // A real JPEG with EXIF: stored as Teller's own 240 × 240 JPEG, without it.
    let upload = jpeg_with_exif(800, 600);
    assert!(contains(&upload, b"Exif") && contains(&upload, SECRET_PLACE));
    let (status, location) = staff.upload("directors", "amara-okafor", upload).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    assert_eq!(
        location,
        format!("{}?saved=photo", staff.editor("directors", "amara-okafor"))
    );
    let (status, kind, jpeg) = staff.photo("directors", "amara-okafor").await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "image/jpeg"));
    assert!(!contains(&jpeg, b"Exif") && !contains(&jpeg, SECRET_PLACE));
    let decoded = image::load_from_memory(&jpeg).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (240, 240));
    let (_, editor) = get(&app, &staff.cookie, &location).await;
    assert!(editor.contains("The photo was saved.") && editor.contains("alt=\"Amara Okafor\""));

    // A real PNG with transparency stays a PNG (square, 240 px).
    let (status, _) = staff.upload("directors", "daniel-brooks", png(300, 500, true)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, kind, png_bytes) = staff.photo("directors", "daniel-brooks").await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "image/png"));
    let decoded = image::load_from_memory(&png_bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (240, 240));

    // Bad uploads are refused with the reason, and change nothing.
    let whole = png(400, 400, false);
    let too_large = {
        let mut b = png(16, 16, false);
        b.resize(2 * 1024 * 1024 + 1, 0);
        b
    };
    for (bytes, status, says) in [
        (
            b"name,email\nnot,an image\n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a PNG or JPEG image",
        ),
        (
            whole[..whole.len() / 2].to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "damaged or incomplete",
        ),
        (
            jpeg_with_exif(400, 300)[..3000].to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "damaged or incomplete",
        ),
        (too_large, StatusCode::PAYLOAD_TOO_LARGE, "larger than 2 MiB"),
        (
            png_declaring(60_000),
            StatusCode::UNPROCESSABLE_ENTITY,
            "60000 × 60000 pixels",
        ),
        (
            png_declaring(7_900),
            StatusCode::UNPROCESSABLE_ENTITY,
            "7900 × 7900 pixels",
        ),
        (vec![], StatusCode::UNPROCESSABLE_ENTITY, "choose a photo"),
    ] {
        let (got, page) = staff.upload("directors", "amara-okafor", bytes).await;
        assert_eq!(got, status, "{says}: {page}");
        assert!(page.to_lowercase().contains(&says.to_lowercase()), "{says}: {page}");
        assert!(page.contains("Nothing was changed."), "{page}");
        let (_, _, now) = staff.photo("directors", "amara-okafor").await;
        assert_eq!(now, jpeg, "{says}: the photo changed");
    }
    // A forged form, or a role that does not run elections, changes nothing.
    let (status, _) = staff
        .upload_with("directors", "amara-okafor", "forged", png(50, 50, false))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let observer = Console {
        app: &app,
        cookie: sign_in(&app, "obi", "a long enough password", "").await.unwrap(),
        id: id.clone(),
    };
    let (status, page) = observer.upload("directors", "amara-okafor", png(50, 50, false)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    let (status, _) = observer
        .post("directors", "amara-okafor", &[("action", "remove-photo")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(staff.photo("directors", "amara-okafor").await.2, jpeg);
    // A candidate who is not on the ballot has no page.
    let (status, _) = staff.upload("directors", "nobody-at-all", png(50, 50, false)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&app, &staff.cookie, &staff.editor("directors", "Amara")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A photo can be removed; a photo uploaded again is back.
    let (status, _) = staff.upload("directors", "mei-ling-chen", png(64, 64, false)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, location) = staff
        .post("directors", "mei-ling-chen", &[("action", "remove-photo")])
        .await;
    assert_eq!(
        (status, location.ends_with("?saved=removed")),
        (StatusCode::SEE_OTHER, true)
    );
    assert_eq!(staff.photo("directors", "mei-ling-chen").await.0, StatusCode::NOT_FOUND);

    // The profile: plain text, paragraphs kept, escaped.
    let profile =
        "I have worked in hospital pharmacy for 12 years.\r\nMostly nights.\r\n\r\n<script>alert('x')</script> & more";
    let (status, location) = staff
        .post(
            "directors",
            "amara-okafor",
            &[("action", "save-profile"), ("profile", profile)],
        )
        .await;
    assert_eq!(
        (status, location.ends_with("?saved=profile")),
        (StatusCode::SEE_OTHER, true)
    );
    let too_long = "x".repeat(5_001);
    let (status, page) = staff
        .post(
            "directors",
            "amara-okafor",
            &[("action", "save-profile"), ("profile", &too_long)],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("5001 characters long") && page.contains(&too_long),
        "{page}"
    );
    let (status, preview) = get(
        &app,
        &staff.cookie,
        &format!("{}/profile", staff.editor("directors", "amara-okafor")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        preview.contains("<p>I have worked in hospital pharmacy for 12 years.<br>Mostly nights.</p>"),
        "{preview}"
    );
    assert!(
        preview.contains("<p>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more</p>"),
        "{preview}"
    );
    assert!(!preview.contains("<script>"));
    // The ballot preview shows the photo and the profile link (the console's copies).
    let (_, ballot) = get(&app, &staff.cookie, &format!("/staff/elections/{id}/preview")).await;
    let ballot = unescape(&ballot);
    assert!(ballot.contains(&format!(
        "src=\"/staff/elections/{id}/candidates/directors/amara-okafor/photo?v="
    )));

    // A draft's photos and profiles are not public.
    let public_photo = format!("/e/{id}/candidates/directors/amara-okafor/photo");
    let public_profile = format!("/e/{id}/candidates/directors/amara-okafor");
    assert_eq!(public_get(&app, &public_photo).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(public_get(&app, &public_profile).await.status(), StatusCode::NOT_FOUND);

    // The polls open: photos and profiles are frozen with the ballot.
    app.teller_ok(&["election", "open", &id]);
    let (status, page) = staff.upload("directors", "amara-okafor", png(80, 80, false)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert!(
        page.contains("frozen") && page.contains("nothing was changed"),
        "{page}"
    );
    let (status, _) = staff
        .post("directors", "amara-okafor", &[("action", "remove-photo")])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = staff
        .post(
            "directors",
            "amara-okafor",
            &[("action", "save-profile"), ("profile", "Changed mid-vote")],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, editor) = get(&app, &staff.cookie, &staff.editor("directors", "amara-okafor")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(editor.contains("frozen") && !editor.contains("enctype=\"multipart/form-data\""));

    // Now public: same origin, its type, never sniffed, kept for good.
    let res = public_get(&app, &public_photo).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[CONTENT_TYPE], "image/jpeg");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(res.headers()[CACHE_CONTROL].to_str().unwrap().contains("immutable"));
    let etag = res.headers()[ETAG].to_str().unwrap().to_string();
    assert_eq!(res.bytes().await.unwrap().to_vec(), jpeg);
    let again = app
        .http
        .get(app.url(&public_photo))
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // No photo, or no such candidate: nothing.
    for path in [
        format!("/e/{id}/candidates/directors/rosa-delgado/photo"),
        format!("/e/{id}/candidates/directors/mei-ling-chen/photo"),
        format!("/e/{id}/candidates/directors/nobody/photo"),
        format!("/e/{id}/candidates/directors/nobody"),
        format!("/e/{id}/candidates/treasurer/amara-okafor"),
    ] {
        assert_eq!(public_get(&app, &path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }

    // The profile page: photo with the name as its text, the contest, the
    // statement, the profile escaped, the way back.
    let res = public_get(&app, &public_profile).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(page.contains("<h1>Amara Okafor</h1>") && page.contains("Board of Directors"));
    assert!(unescape(&page).contains(&format!("src=\"{public_photo}?v=")) && page.contains("alt=\"Amara Okafor\""));
    assert!(page.contains("paid continuing-education hours"));
    assert!(page.contains("<p>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more</p>"));
    assert!(page.contains(&format!("href=\"/e/{id}\"")));

    // The member's ballot: the thumbnail beside the name, alt = the name,
    // and the profile in a new tab so the marks stay.
    let res = app
        .http
        .get(app.url(&format!("/v/{}", tokens[0].1.replace('-', ""))))
        .send()
        .await
        .unwrap();
    let vote = res.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let ballot = app
        .http
        .get(app.url("/ballot"))
        .header("cookie", &vote)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let ballot = unescape(&ballot);
    assert!(
        ballot.contains(&format!(
            "<img class=\"thumb\" src=\"{public_photo}?v={}\" alt=\"Amara Okafor\" width=\"48\" height=\"48\">",
            etag.trim_matches('"')
        )),
        "{ballot}"
    );
    assert!(ballot.contains(&format!(
        "<a href=\"{public_profile}\" target=\"_blank\" rel=\"noopener\">More about Amara Okafor (opens in a new tab)</a>"
    )));
    // Names line up beside the photos in that contest only.
    assert!(ballot.contains("<fieldset class=\"contest has-photos\" id=\"contest-directors\""));
    assert!(ballot.contains("<fieldset class=\"contest\" id=\"contest-treasurer\""));
    // Daniel Brooks has a photo but no profile: no link; Rosa Delgado neither.
    assert!(ballot.contains("alt=\"Daniel Brooks\"") && !ballot.contains("More about Daniel Brooks"));
    assert!(!ballot.contains("alt=\"Rosa Delgado\""));
    // The election page too.
    let page = unescape(&public_get(&app, &format!("/e/{id}")).await.text().await.unwrap());
    assert!(
        page.contains("alt=\"Amara Okafor\"")
            && page.contains(&format!("<a href=\"{public_profile}\">More about Amara Okafor</a>"))
    );
}
on_both_backends!(photos_and_profiles_from_upload_to_ballot, photos_and_profiles);

async fn removed_candidates_take_their_photos(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_staff(&app, "olu", "officer", "a long enough password");
    let cookie = sign_in(&app, "olu", "a long enough password", "").await.unwrap();
    let (id, _) = app.draft_with_tokens(include_str!("../../examples/board-election.toml"), 1);
    let staff = Console {
        app: &app,
        cookie,
        id: id.clone(),
    };
    let (status, _) = staff.upload("directors", "amara-okafor", png(64, 64, false)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // Remove Amara Okafor (the first candidate) in the builder and save.
    let edit = format!("/staff/elections/{id}/edit");
    let (_, html) = get(&app, &staff.cookie, &edit).await;
    let mut fields = common::form::fields(&html, &edit);
    fields.push(("action".into(), "remove-candidate.0.0".into()));
    let res = app
        .http
        .post(app.url(&edit))
        .header("cookie", &staff.cookie)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Her photo went with her: added again under the same id, she has none.
    let (status, _) = get(&app, &staff.cookie, &staff.editor("directors", "amara-okafor")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, html) = get(&app, &staff.cookie, &edit).await;
    let mut fields = common::form::fields(&html, &edit);
    common::form::set(&mut fields, "c0.k6.name", "Amara Okafor");
    fields.push(("action".into(), "save".into()));
    let res = app
        .http
        .post(app.url(&edit))
        .header("cookie", &staff.cookie)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, editor) = get(&app, &staff.cookie, &staff.editor("directors", "amara-okafor")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(editor.contains("No photo."), "{editor}");
}
on_both_backends!(
    a_removed_candidate_s_photo_goes_with_them,
    removed_candidates_take_their_photos
);
