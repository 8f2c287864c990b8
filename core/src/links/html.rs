//! Just enough HTML for invite bodies (Outlook's `X-ALT-DESC`, Google's HTML descriptions): the
//! visible text, and each link with its visible text, so that a link whose text shows one host and
//! whose target is another can be caught.
//!
//! A single pass, linear in the input; `<script>`, `<style>` and `<head>` contents and comments
//! are dropped. Not a general HTML parser, and it does not need to be: nothing here renders.

use super::limits::MAX_ANCHORS;

/// A link in the HTML: where it goes and what it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Anchor {
    /// The `href`, entities decoded.
    pub href: String,
    /// The visible text inside `<a>…</a>`.
    pub text: String,
}

/// The visible text and the links of an HTML body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct HtmlText {
    /// All visible text.
    pub text: String,
    /// Visible text outside links (a link's text is judged with its link, not on its own: a
    /// link showing one meeting and leading to another must not offer the one it shows).
    pub outside: String,
    /// The links, at most [`MAX_ANCHORS`]; later `<a>` tags are read as text.
    pub anchors: Vec<Anchor>,
    /// Whether there were more links than that.
    pub anchors_cut: bool,
}

/// Whether a text is probably HTML (a description may be either).
pub(crate) fn looks_like_html(s: &str) -> bool {
    const TAGS: [&str; 12] = ["html", "body", "div", "p>", "p ", "br", "a ", "span", "table", "b>", "!doctype", "meta"];
    let b = s.as_bytes();
    s.match_indices('<').take(10_000).any(|(i, _)| {
        let rest = &b[i + 1..b.len().min(i + 10)];
        TAGS.iter().any(|t| rest.len() >= t.len() && rest[..t.len()].eq_ignore_ascii_case(t.as_bytes()))
    })
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let v = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(v).filter(|c| *c != '\0');
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "hellip" => '…',
        "bull" => '•',
        "middot" => '·',
        "copy" => '©',
        _ => return None,
    })
}

/// Decodes character references (`&amp;`, `&#39;`, `&#x2F;`, ...); unknown ones stay as written.
pub(crate) fn decode_entities(s: &str, out: &mut String) {
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after.bytes().take(12).position(|b| b == b';');
        match end.and_then(|e| entity(&after[..e]).map(|c| (e, c))) {
            Some((e, c)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

fn starts_with_ci(b: &[u8], at: usize, needle: &[u8]) -> bool {
    b.len() >= at + needle.len() && b[at..at + needle.len()].eq_ignore_ascii_case(needle)
}

/// Reads the tag at `b[start] == b'<'`: its lowercase name, whether it closes, its `href`, and
/// the index after `>` (`None` if the tag never ends).
fn read_tag(s: &str, start: usize) -> Option<(String, bool, Option<String>, usize)> {
    let b = s.as_bytes();
    let mut i = start + 1;
    let closing = b.get(i) == Some(&b'/');
    if closing {
        i += 1;
    }
    let name_start = i;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'!') {
        i += 1;
    }
    let name = s[name_start..i].to_ascii_lowercase();
    let mut href = None;
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        if b[i] == b'>' {
            return Some((name, closing, href, i + 1));
        }
        let an = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !b"=>/".contains(&b[i]) {
            i += 1;
        }
        let attr = &s[an..i];
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if b.get(i) != Some(&b'=') {
            if an == i {
                i += 1; // a stray character: step over it
            }
            continue;
        }
        i += 1;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let value = match b.get(i) {
            Some(q @ (b'"' | b'\'')) => {
                let end = i + 1 + s[i + 1..].find(*q as char)?;
                let v = &s[i + 1..end];
                i = end + 1;
                v
            }
            _ => {
                let vs = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                &s[vs..i]
            }
        };
        if attr.eq_ignore_ascii_case("href") && href.is_none() {
            let mut v = String::new();
            decode_entities(value.trim(), &mut v);
            href = Some(v);
        }
    }
}

/// Parses an HTML body into text and links.
pub(crate) fn parse(html: &str) -> HtmlText {
    let b = html.as_bytes();
    let mut out = HtmlText::default();
    let mut open: Option<(String, usize)> = None;
    let mut inside: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let Some(lt) = html[i..].find('<').map(|p| p + i) else {
            decode_entities(&html[i..], &mut out.text);
            break;
        };
        decode_entities(&html[i..lt], &mut out.text);
        if starts_with_ci(b, lt, b"<!--") {
            i = html[lt + 4..].find("-->").map_or(b.len(), |e| lt + 4 + e + 3);
            continue;
        }
        let Some((name, closing, href, after)) = read_tag(html, lt) else {
            // A tag that never ends: the rest is text. (Retrying at every later `<` would make
            // hostile input quadratic.)
            decode_entities(&html[lt..], &mut out.text);
            break;
        };
        i = after;
        match (name.as_str(), closing) {
            ("script" | "style" | "head" | "title", false) => {
                let close = format!("</{name}");
                let mut j = i;
                i = b.len();
                while let Some(p) = html[j..].find("</").map(|p| p + j) {
                    if starts_with_ci(b, p, close.as_bytes()) {
                        i = html[p..].find('>').map_or(b.len(), |e| p + e + 1);
                        break;
                    }
                    j = p + 2;
                }
            }
            ("a", false) => {
                if let Some((href, start)) = open.take() {
                    out.anchors.push(Anchor { href, text: out.text[start..].trim().to_owned() });
                    inside.push((start, out.text.len()));
                }
                if href.is_some() && out.anchors.len() >= MAX_ANCHORS {
                    out.anchors_cut = true;
                } else {
                    open = href.map(|h| (h, out.text.len()));
                }
            }
            ("a", true) => {
                if let Some((href, start)) = open.take() {
                    out.anchors.push(Anchor { href, text: out.text[start..].trim().to_owned() });
                    inside.push((start, out.text.len()));
                }
            }
            ("br" | "p" | "div" | "tr" | "li" | "table" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6", _) => {
                out.text.push('\n')
            }
            ("td" | "th", _) => out.text.push(' '),
            _ => {}
        }
    }
    if let Some((href, start)) = open.take() {
        out.anchors.push(Anchor { href, text: out.text[start..].trim().to_owned() });
        inside.push((start, out.text.len()));
    }
    let mut at = 0;
    for (s, e) in inside {
        out.outside.push_str(&out.text[at..s]);
        out.outside.push(' ');
        at = e;
    }
    out.outside.push_str(&out.text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_links_come_out_with_entities_decoded() {
        let h = parse(
            "<html><head><style>p{color:red}</style></head><body><p>Join&nbsp;the <b>meeting</b>:</p>\
             <a href=\"https://zoom.us/j/1?pwd=a&amp;b=c\" target=_blank>Click here</a><br>\
             <!-- <a href=\"https://hidden.example/\">x</a> --><A HREF='tel:+4722123456,,1%23'>+47 22 12 34 56</A>\
             <script>var a = '<a href=\"https://evil.example\">';</script></body></html>",
        );
        assert_eq!(
            h.anchors,
            vec![
                Anchor { href: "https://zoom.us/j/1?pwd=a&b=c".into(), text: "Click here".into() },
                Anchor { href: "tel:+4722123456,,1%23".into(), text: "+47 22 12 34 56".into() },
            ]
        );
        assert!(h.text.contains("Join\u{a0}the meeting:"), "{:?}", h.text);
        assert!(!h.text.contains("color") && !h.text.contains("evil"), "{:?}", h.text);
        assert!(h.outside.contains("Join\u{a0}the meeting:") && !h.outside.contains("Click here"), "{:?}", h.outside);
    }

    #[test]
    fn broken_html_does_not_break_the_parser() {
        for s in
            ["<a href=\"x", "<a href=x>unclosed", "<", "<<<>>>", "&#xFFFFFFFF; &#0; &bogus; &", "<script>never closed"]
        {
            let _ = parse(s);
        }
        assert_eq!(parse("<a href=x>unclosed").anchors[0].text, "unclosed");
        assert!(looks_like_html("Hello<br>World") && looks_like_html("<HTML>") && !looks_like_html("a < b > c"));
        let mut out = String::new();
        decode_entities("&lt;&#65;&#x42;&unknown;&", &mut out);
        assert_eq!(out, "<AB&unknown;&");
    }
}
