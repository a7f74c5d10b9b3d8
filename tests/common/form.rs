//! A browser's view of an HTML form, enough for tests: the fields a browser
//! would submit (inputs with their values, checked boxes, textareas, each
//! select's chosen option), so tests can change some and post the rest back
//! as they stand on the page.

/// Undo the escaping handlebars applies.
pub fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x3D;", "=")
        .replace("&#x60;", "`")
        .replace("&amp;", "&")
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    let end = tag[at..].find('"')?;
    Some(unescape(&tag[at..at + end]))
}

fn has_flag(tag: &str, name: &str) -> bool {
    tag.contains(&format!(" {name}>")) || tag.contains(&format!(" {name} ")) || tag.contains(&format!(" {name}/"))
}

/// The fields of the form posting to `action`, in document order.
pub fn fields(html: &str, action: &str) -> Vec<(String, String)> {
    let marker = format!("action=\"{action}\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no form posting to {action}"));
    let body = &html[start..start + html[start..].find("</form>").expect("form ends")];
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt..];
        let end = rest.find('>').expect("tag ends");
        let tag = &rest[..=end];
        if tag.starts_with("<input") {
            let kind = attr(tag, "type").unwrap_or_else(|| "text".into());
            if let Some(name) = attr(tag, "name") {
                let value = attr(tag, "value");
                match kind.as_str() {
                    "checkbox" | "radio" => {
                        if has_flag(tag, "checked") {
                            out.push((name, value.unwrap_or_else(|| "on".into())));
                        }
                    }
                    "submit" | "button" | "file" => {}
                    _ => out.push((name, value.unwrap_or_default())),
                }
            }
        } else if tag.starts_with("<textarea") {
            let close = rest.find("</textarea>").expect("textarea ends");
            if let Some(name) = attr(tag, "name") {
                out.push((name, unescape(&rest[end + 1..close])));
            }
            rest = &rest[close..];
            continue;
        } else if tag.starts_with("<select") {
            let close = rest.find("</select>").expect("select ends");
            let options = &rest[end + 1..close];
            if let Some(name) = attr(tag, "name") {
                let mut chosen = None;
                let mut first = None;
                for opt in options.split("<option").skip(1) {
                    let value = attr(&format!("<option{opt}"), "value").unwrap_or_default();
                    first.get_or_insert(value.clone());
                    if opt.split('>').next().is_some_and(|t| t.contains(" selected")) {
                        chosen = Some(value);
                    }
                }
                out.push((name, chosen.or(first).unwrap_or_default()));
            }
            rest = &rest[close..];
            continue;
        }
        rest = &rest[end + 1..];
    }
    out
}

/// Set `name` to `value`, adding it if the form had no such field.
pub fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(k, _)| k == name) {
        Some(f) => f.1 = value.to_string(),
        None => fields.push((name.to_string(), value.to_string())),
    }
}
