//! The election's own texts in another language: which texts of a
//! definition can be translated (by a stable key), and a definition with its
//! translations put in, for member pages. Presentation only: ids, names,
//! methods and seats never change, and what is hashed, cast and published is
//! the definition itself.

use std::collections::BTreeMap;

use teller_audit::definition::Definition;

/// The longest translated text accepted.
pub const MAX_TEXT: usize = 5_000;

/// One translatable text: its key, where it is (for staff), and the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translatable {
    /// `title`, `contest.ID.title`, `candidate.CONTEST.ID.statement`…
    pub key: String,
    /// What staff read beside the field: "Contest “Treasurer”: title".
    pub label: String,
    /// The text in the definition's own language.
    pub original: String,
    /// Whether it is a long text (a text area rather than a line).
    pub long: bool,
}

/// Every non-empty text of `def` a member reads, in ballot order.
pub fn translatable(def: &Definition) -> Vec<Translatable> {
    let mut out = Vec::new();
    let mut push = |key: String, label: String, original: &str, long: bool| {
        if !original.trim().is_empty() {
            out.push(Translatable {
                key,
                label,
                original: original.to_string(),
                long,
            });
        }
    };
    push("title".into(), "Election: title".into(), &def.title, false);
    push(
        "description".into(),
        "Election: introduction".into(),
        &def.description,
        true,
    );
    for c in &def.contests {
        push(
            format!("contest.{}.title", c.id),
            format!("“{}”: title", c.title),
            &c.title,
            false,
        );
        push(
            format!("contest.{}.description", c.id),
            format!("“{}”: description", c.title),
            &c.description,
            true,
        );
        for k in &c.candidates {
            push(
                format!("candidate.{}.{}.statement", c.id, k.id),
                format!("“{}”: {}'s statement", c.title, k.name),
                &k.statement,
                true,
            );
        }
    }
    out
}

/// Check texts staff entered: known keys, plain short text.
pub fn check(def: &Definition, texts: &BTreeMap<String, String>) -> Result<(), String> {
    let known = translatable(def);
    for (key, body) in texts {
        let Some(t) = known.iter().find(|t| &t.key == key) else {
            return Err(format!("there is no text {key:?} in this election"));
        };
        if body.chars().count() > MAX_TEXT {
            return Err(format!("{} is longer than {MAX_TEXT} characters", t.label));
        }
        if body
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(format!("{} contains control characters", t.label));
        }
        if !t.long && body.contains('\n') {
            return Err(format!("{} must be one line", t.label));
        }
    }
    Ok(())
}

/// `def` with the translations in `texts` put in (texts not translated stay
/// as they are).
pub fn localise(mut def: Definition, texts: &BTreeMap<String, String>) -> Definition {
    if texts.is_empty() {
        return def;
    }
    let put = |target: &mut String, key: String| {
        if let Some(t) = texts.get(&key) {
            *target = t.clone();
        }
    };
    put(&mut def.title, "title".into());
    put(&mut def.description, "description".into());
    for c in &mut def.contests {
        let id = c.id.clone();
        put(&mut c.title, format!("contest.{id}.title"));
        put(&mut c.description, format!("contest.{id}.description"));
        for k in &mut c.candidates {
            put(&mut k.statement, format!("candidate.{id}.{}.statement", k.id));
        }
    }
    def
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Definition {
        crate::domain::spec::parse(include_str!("../../examples/board-election.toml"))
            .unwrap()
            .definition
    }

    #[test]
    fn translations_replace_texts_and_nothing_else() {
        let def = example();
        let keys: Vec<String> = translatable(&def).into_iter().map(|t| t.key).collect();
        assert!(keys.contains(&"contest.directors.title".to_string()));
        assert!(keys.contains(&"candidate.directors.amara-okafor.statement".to_string()));
        let texts = BTreeMap::from([
            ("title".to_string(), "Elección de la Junta".to_string()),
            ("contest.directors.title".to_string(), "Junta Directiva".to_string()),
        ]);
        check(&def, &texts).unwrap();
        let es = localise(def.clone(), &texts);
        assert_eq!(es.title, "Elección de la Junta");
        assert_eq!(es.contests[0].title, "Junta Directiva");
        assert_eq!(es.contests[0].candidates, def.contests[0].candidates);
        assert_eq!(es.contests[1], def.contests[1]);
        assert_eq!(es.contests[0].method, def.contests[0].method);
    }

    #[test]
    fn bad_texts_are_refused() {
        let def = example();
        let one = |k: &str, v: &str| BTreeMap::from([(k.to_string(), v.to_string())]);
        assert!(check(&def, &one("contest.nope.title", "x"))
            .unwrap_err()
            .contains("no text"));
        assert!(check(&def, &one("title", "a\nb")).unwrap_err().contains("one line"));
        assert!(check(&def, &one("description", &"x".repeat(MAX_TEXT + 1)))
            .unwrap_err()
            .contains("longer"));
        assert!(check(&def, &one("description", "a\u{7}b"))
            .unwrap_err()
            .contains("control"));
    }
}
