//! Writing iCalendar content lines (RFC 5545 §3.1): CRLF, folding at 75 octets without splitting
//! a UTF-8 character, TEXT escaping and parameter quoting.

use jiff::Timestamp;

/// Lines are folded so that no line is longer than this many octets (CRLF not counted).
pub const FOLD_AT: usize = 75;

/// Escapes a TEXT value: `\`, `;`, `,` and newlines; other control characters are dropped.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let s = s.replace("\r\n", "\n");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' | '\r' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value: quoted when it holds `:`, `;` or `,`; double quotes and control
/// characters (which cannot be written) dropped.
pub fn param_value(s: &str) -> String {
    let clean: String = s.chars().filter(|c| *c != '"' && !c.is_control()).collect();
    if clean.contains([':', ';', ',']) { format!("\"{clean}\"") } else { clean }
}

/// `20260504T080000Z`.
pub fn utc(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// Appends one content line, folded, with CRLF.
pub fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let n = c.len_utf8();
        if width + n > FOLD_AT {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        let content = format!("DESCRIPTION:{}", "ø".repeat(100));
        line(&mut out, &content);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= FOLD_AT, "{} octets: {l}", l.len());
        }
        let unfolded = out.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, content);
    }

    #[test]
    fn escapes_text_and_quotes_parameters() {
        assert_eq!(escape_text("a;b,c\\d\r\ne\u{7}"), "a\\;b\\,c\\\\d\\ne");
        assert_eq!(param_value("Join with Trygg"), "Join with Trygg");
        assert_eq!(param_value("Join: now, \"please\""), "\"Join: now, please\"");
        assert_eq!(utc(Timestamp::from_second(0).unwrap()), "19700101T000000Z");
    }
}
