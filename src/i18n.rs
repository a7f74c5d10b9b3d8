//! Member-facing text in the member's language: English and Spanish, from
//! Fluent files (`locales/<lang>/teller.ftl`, embedded at build time).
//!
//! The language of a request is chosen once, by `web::language` (the
//! member's choice in a cookie, else the browser's `Accept-Language`), and
//! kept in a task-local for the page being rendered; templates ask for text
//! with `{{t "key" name=value}}`, which escapes its output like `{{value}}`.
//! Messages (e-mails, letters) name their language explicitly.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use handlebars::{Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderErrorReason};
use serde::Serialize;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // No Unicode isolation marks around arguments: they would end up in
        // e-mail subjects and in text a screen reader spells out.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language Teller's member pages and messages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English (the default, and the language of the election file).
    #[default]
    En,
    /// Spanish.
    Es,
}

impl Lang {
    /// Every language, in the order the switcher lists them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Es];

    /// The BCP 47 code: `en`, `es`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    /// The language's name in itself, as a switcher shows it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Es => "Español",
        }
    }

    /// The language with this code (`es`, `ES`, `es-MX`), if Teller speaks it.
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The first language of an `Accept-Language` header Teller speaks,
    /// by the header's weights (`es-MX,es;q=0.9,en;q=0.8`).
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut ranked: Vec<(u16, usize, Lang)> = header
            .split(',')
            .take(32)
            .enumerate()
            .filter_map(|(i, item)| {
                let mut parts = item.split(';');
                let lang = Lang::from_code(parts.next()?)?;
                let q = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1000), |q| {
                        q.trim()
                            .parse::<f32>()
                            .ok()
                            .map(|q| (q.clamp(0.0, 1.0) * 1000.0) as u16)
                    })?;
                (q > 0).then_some((q, i, lang))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.first().map(|r| r.2)
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::En => fluent_templates::langid!("en"),
            Lang::Es => fluent_templates::langid!("es"),
        }
    }
}

/// The language of a request, and where the language switcher returns to.
#[derive(Debug, Clone, Default)]
pub struct RequestLang {
    /// The language pages are rendered in.
    pub lang: Lang,
    /// The member page to come back to after switching language; `None` on
    /// staff pages, which are in English and have no switcher.
    pub back: Option<String>,
}

tokio::task_local! {
    static CURRENT: RequestLang;
}

/// The language of the page being rendered (English outside a request).
pub fn current() -> Lang {
    CURRENT.try_with(|l| l.lang).unwrap_or_default()
}

/// Where the language switcher on this page returns to, if it has one.
pub fn back() -> Option<String> {
    CURRENT.try_with(|l| l.back.clone()).ok().flatten()
}

/// Run `f` with `lang` as the current language.
pub async fn scope<F: std::future::Future>(lang: RequestLang, f: F) -> F::Output {
    CURRENT.scope(lang, f).await
}

/// An argument of a message: text or a number (numbers choose plurals).
#[derive(Debug, Clone)]
pub enum Arg {
    /// Text, inserted as it is.
    Text(String),
    /// A number: "1 minute", "10 minutes".
    Num(i64),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_string())
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(s)
    }
}
impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Arg::Num(n)
    }
}
impl From<u64> for Arg {
    fn from(n: u64) -> Self {
        Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}
impl From<usize> for Arg {
    fn from(n: usize) -> Self {
        Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}
impl From<u32> for Arg {
    fn from(n: u32) -> Self {
        Arg::Num(i64::from(n))
    }
}

/// The message `key` in `lang`, with `args`, as plain text.
pub fn text(lang: Lang, key: &str, args: &[(&str, Arg)]) -> String {
    let map: HashMap<Cow<'static, str>, FluentValue> = args
        .iter()
        .map(|(name, arg)| {
            let value = match arg {
                Arg::Text(s) => FluentValue::from(s.clone()),
                Arg::Num(n) => FluentValue::from(*n),
            };
            (Cow::Owned((*name).to_string()), value)
        })
        .collect();
    LOCALES.lookup_complete(&lang.id(), key, if map.is_empty() { None } else { Some(&map) })
}

/// The message `key` in the current language.
pub fn t(key: &str, args: &[(&str, Arg)]) -> String {
    text(current(), key, args)
}

/// Whether `key` is a message of `lang` itself, not of the fallback (a
/// message whose arguments are missing still counts).
pub fn has(lang: Lang, key: &str) -> bool {
    // The crate does not export its error type; its message names the kind.
    match LOCALES.lookup_single_language::<&str>(&lang.id(), key, None) {
        Ok(_) => true,
        Err(e) => e.to_string().starts_with("Fluent errors"),
    }
}

/// `{{t "key" name=value}}`: the message in the page's language (the root
/// context's `lang`, or a `lang=` argument), HTML-escaped. Whole numbers
/// pass as numbers.
pub struct Helper_;

impl HelperDef for Helper_ {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars,
        context: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let key = h
            .param(0)
            .and_then(|p| p.value().as_str())
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("t", 0))?;
        // `lang=` names the language (a printed letter is in its member's);
        // else the page's.
        let lang = h
            .hash_get("lang")
            .and_then(|l| l.value().as_str())
            .or_else(|| context.data().get("lang").and_then(|l| l.as_str()))
            .and_then(Lang::from_code)
            .unwrap_or_default();
        let args: Vec<(&str, Arg)> = h
            .hash()
            .iter()
            .filter(|(name, _)| **name != "lang")
            .map(|(name, value)| {
                let v = value.value();
                let arg = match v.as_i64() {
                    Some(n) => Arg::Num(n),
                    None => Arg::Text(match v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Null => String::new(),
                        other => other.to_string(),
                    }),
                };
                (*name, arg)
            })
            .collect();
        let message = text(lang, key, &args);
        out.write(&handlebars::html_escape(&message))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_by_weight() {
        assert_eq!(Lang::from_accept_language("es-MX,es;q=0.9,en;q=0.8"), Some(Lang::Es));
        assert_eq!(Lang::from_accept_language("fr, en;q=0.5, es;q=0.7"), Some(Lang::Es));
        assert_eq!(Lang::from_accept_language("de, fr"), None);
        assert_eq!(Lang::from_accept_language("es;q=0, en"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language(""), None);
    }

    #[test]
    fn plurals_follow_each_language() {
        assert_eq!(text(Lang::En, "minutes", &[("n", 1i64.into())]), "1 minute");
        assert_eq!(text(Lang::En, "minutes", &[("n", 10i64.into())]), "10 minutes");
        assert_eq!(text(Lang::Es, "minutes", &[("n", 1i64.into())]), "1 minuto");
        assert_eq!(text(Lang::Es, "minutes", &[("n", 10i64.into())]), "10 minutos");
    }

    /// Every message is in both languages, and every `{{t "key"}}` in the
    /// templates names a message.
    #[test]
    fn both_languages_have_every_message() {
        let keys = |text: &str| -> Vec<String> {
            text.lines()
                .filter(|l| !l.starts_with([' ', '#', '.', '*', '[']) && l.contains(" ="))
                .filter_map(|l| l.split(" =").next().map(str::trim).map(String::from))
                .collect()
        };
        let en = keys(include_str!("../locales/en/teller.ftl"));
        let es = keys(include_str!("../locales/es/teller.ftl"));
        for k in &en {
            assert!(es.contains(k), "{k} is missing from locales/es/teller.ftl");
            assert!(has(Lang::Es, k), "{k} does not parse in Spanish");
        }
        for k in &es {
            assert!(en.contains(k), "{k} is only in locales/es/teller.ftl");
        }
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let body = std::fs::read_to_string(&path).unwrap();
            for piece in body.split("{{t \"").skip(1) {
                let key = piece.split('"').next().unwrap();
                assert!(
                    en.iter().any(|k| k == key),
                    "{} uses {key}, which no locale has",
                    path.display()
                );
            }
        }
    }
}
