//! Handlebars templates and static assets, embedded in the binary. Templates
//! run in strict mode: a missing field is an error, never an empty string.

use std::sync::LazyLock;

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use handlebars::Handlebars;
use rust_embed::RustEmbed;
use serde::Serialize;

#[derive(RustEmbed)]
#[folder = "templates/"]
#[include = "*.hbs"]
struct Templates;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Static;

static REGISTRY: LazyLock<Result<Handlebars<'static>, String>> = LazyLock::new(build);

handlebars::handlebars_helper!(count: |n: u64, one: str, many: str| crate::text::count(n, one, many));

fn build() -> Result<Handlebars<'static>, String> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    // `{{count n "ballot" "ballots"}}`: "1 ballot", "7 ballots".
    hb.register_helper("count", Box::new(count));
    // `{{t "key" name=value}}`: member-facing text in the page's language.
    hb.register_helper("t", Box::new(crate::i18n::Helper_));
    hb.set_dev_mode(false);
    for name in Templates::iter() {
        let file = Templates::get(&name).ok_or_else(|| format!("template {name} vanished"))?;
        let text = std::str::from_utf8(&file.data).map_err(|e| format!("template {name}: {e}"))?;
        let stem = name.trim_end_matches(".hbs");
        hb.register_template_string(stem, text)
            .map_err(|e| format!("template {name}: {e}"))?;
        if stem == "layout" {
            hb.register_partial("layout", text)
                .map_err(|e| format!("template {name}: {e}"))?;
        }
        if let Some(partial) = stem.strip_prefix("partial_") {
            hb.register_partial(partial, text)
                .map_err(|e| format!("template {name}: {e}"))?;
        }
    }
    Ok(hb)
}

/// Check at start-up that every template compiles.
pub fn check() -> Result<(), String> {
    REGISTRY.as_ref().map(|_| ()).map_err(Clone::clone)
}

/// A page: its title, the election it belongs to, and its own fields.
#[derive(Serialize)]
pub struct Page<T: Serialize> {
    /// The `<title>` (without the site name).
    pub page_title: String,
    /// Shown in the header when the page is about one election.
    pub election_title: Option<String>,
    /// The template's own fields.
    #[serde(flatten)]
    pub body: T,
}

/// Render `template` with `page`, or a plain error if rendering fails.
pub fn render<T: Serialize>(status: StatusCode, template: &str, page: &Page<T>) -> Response {
    match render_string(template, page) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(template, error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><title>Error</title><p>Something went wrong on our side. Please try again.</p>"),
            )
                .into_response()
        }
    }
}

/// A page with what every page shows: the organisation's look, the election
/// office's contact (`crate::organisation`), the page's language and (on
/// member pages) the language switcher.
#[derive(Serialize)]
struct Full<'a, T: Serialize> {
    #[serde(flatten)]
    page: &'a Page<T>,
    office: Option<crate::office::Office>,
    brand: crate::organisation::BrandView,
    lang: &'static str,
    languages: Vec<LanguageLink>,
}

/// One entry of the language switcher.
#[derive(Serialize)]
struct LanguageLink {
    code: &'static str,
    name: &'static str,
    href: String,
    current: bool,
}

fn switcher(lang: crate::i18n::Lang) -> Vec<LanguageLink> {
    let Some(back) = crate::i18n::back() else {
        return vec![];
    };
    crate::i18n::Lang::ALL
        .into_iter()
        .map(|l| LanguageLink {
            code: l.code(),
            name: l.name(),
            href: format!("/lang/{}?back={}", l.code(), super::language::encode_path(&back)),
            current: l == lang,
        })
        .collect()
}

/// Render to a string (for tests and for pages built in two steps), with
/// the profile of the request being served.
pub fn render_string<T: Serialize>(template: &str, page: &Page<T>) -> Result<String, String> {
    let hb = REGISTRY.as_ref().map_err(Clone::clone)?;
    let lang = crate::i18n::current();
    let organisation = crate::organisation::current();
    let full = Full {
        page,
        office: organisation.office(),
        brand: organisation.view(),
        lang: lang.code(),
        languages: switcher(lang),
    };
    hb.render(template, &full).map_err(|e| e.to_string())
}

/// Serve an embedded static file.
pub async fn static_file(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    serve_static(&name)
}

/// Serve an embedded script, `/static/js/{name}` (the encrypted ballot's
/// `teller-ballot.js`): as `text/javascript`, or a browser told `nosniff`
/// would not run it.
pub async fn static_script(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    if !name.ends_with(".js") {
        return StatusCode::NOT_FOUND.into_response();
    }
    serve_static(&format!("js/{name}"))
}

/// The marker a page puts in its response's extensions when it runs
/// Teller's own script (the booth of an encrypted ballot, browser/README.md):
/// its CSP then allows `script-src 'self'` and `connect-src 'self'`, and
/// nothing else changes. Every other page runs no script at all.
#[derive(Debug, Clone, Copy)]
pub struct RunsScript;

/// The CSP of every page.
pub const CSP: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/// The CSP of a page marked [`RunsScript`]: [`CSP`] with same-origin script
/// files (no inline script) and same-origin requests from them.
pub const CSP_WITH_SCRIPT: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn serve_static(name: &str) -> Response {
    match Static::get(name) {
        Some(file) => {
            let mime = if name.ends_with(".css") {
                "text/css; charset=utf-8"
            } else if name.ends_with(".js") {
                "text/javascript; charset=utf-8"
            } else {
                "application/octet-stream"
            };
            (
                [
                    (header::CONTENT_TYPE, mime),
                    (header::CACHE_CONTROL, "public, max-age=3600"),
                ],
                file.data.into_owned(),
            )
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_compiles() {
        super::check().unwrap();
    }
}
