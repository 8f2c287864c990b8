//! Scripts and look-alike folding for host names.
//!
//! A compact subset of Unicode's UTS #39 ideas, enough to compare a host against a dozen vendor
//! domains: which scripts a label mixes, and a "skeleton" in which characters that look alike
//! become the same (`а` Cyrillic → `a`, `0` → `o`, `rn` → `m`, ...).

/// The writing system of a character, coarsely, by Unicode block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Script {
    Latin,
    Greek,
    Cyrillic,
    Armenian,
    Hebrew,
    Arabic,
    Devanagari,
    Thai,
    Han,
    Hiragana,
    Katakana,
    Hangul,
    Bopomofo,
    /// Any other script, by 128-code-point block.
    Other(u32),
}

/// The script of `c`, or `None` for characters every script uses (digits, `-`, marks).
pub(crate) fn script(c: char) -> Option<Script> {
    let u = c as u32;
    Some(match u {
        0x30..=0x39 | 0x2d | 0x2e | 0x5f | 0x300..=0x36f | 0x3000..=0x3004 | 0x30fc => return None,
        0x41..=0x5a | 0x61..=0x7a | 0xaa | 0xba | 0x250..=0x2af | 0x1d00..=0x1dbf | 0x1e00..=0x1eff => Script::Latin,
        0xc0..=0x24f if u != 0xd7 && u != 0xf7 => Script::Latin,
        0x2c60..=0x2c7f | 0xa720..=0xa7ff | 0xab30..=0xab6f | 0xff21..=0xff3a | 0xff41..=0xff5a => Script::Latin,
        0x370..=0x3ff | 0x1f00..=0x1fff => Script::Greek,
        0x400..=0x52f | 0x1c80..=0x1c8f | 0x2de0..=0x2dff | 0xa640..=0xa69f => Script::Cyrillic,
        0x530..=0x58f => Script::Armenian,
        0x590..=0x5ff | 0xfb1d..=0xfb4f => Script::Hebrew,
        0x600..=0x6ff | 0x750..=0x77f | 0x8a0..=0x8ff | 0xfb50..=0xfdff | 0xfe70..=0xfeff => Script::Arabic,
        0x900..=0x97f => Script::Devanagari,
        0xe00..=0xe7f => Script::Thai,
        0x3040..=0x309f => Script::Hiragana,
        0x30a0..=0x30ff | 0x31f0..=0x31ff | 0xff66..=0xff9f => Script::Katakana,
        0x1100..=0x11ff | 0x3130..=0x318f | 0xac00..=0xd7af => Script::Hangul,
        0x3100..=0x312f | 0x31a0..=0x31bf => Script::Bopomofo,
        0x2e80..=0x2fdf | 0x3005..=0x3007 | 0x3021..=0x3029 | 0x3400..=0x4dbf | 0x4e00..=0x9fff => Script::Han,
        0xf900..=0xfaff | 0x20000..=0x3134f => Script::Han,
        _ => Script::Other(u >> 7),
    })
}

/// Whether one label mixes scripts in a way no language does. Latin with the Japanese, Chinese or
/// Korean scripts is allowed (as in UTS #39 "highly restrictive").
pub(crate) fn mixes_scripts(label: &str) -> bool {
    let mut seen: Vec<Script> = label.chars().filter_map(script).collect();
    seen.sort();
    seen.dedup();
    if seen.len() <= 1 {
        return false;
    }
    use Script::*;
    let allowed: [&[Script]; 3] = [&[Latin, Han, Hiragana, Katakana], &[Latin, Han, Bopomofo], &[Latin, Han, Hangul]];
    !allowed.iter().any(|set| seen.iter().all(|s| set.contains(s)))
}

/// The Latin letter a character is easily taken for, if any.
fn fold_char(c: char) -> Option<char> {
    Some(match c {
        // Cyrillic
        'а' => 'a',
        'в' => 'b',
        'е' | 'ё' | 'є' => 'e',
        'һ' => 'h',
        'і' | 'ї' => 'i',
        'ј' => 'j',
        'к' => 'k',
        'ӏ' => 'l',
        'м' => 'm',
        'о' => 'o',
        'р' => 'p',
        'ԛ' => 'q',
        'ѕ' => 's',
        'с' => 'c',
        'т' => 't',
        'у' | 'ү' => 'y',
        'х' => 'x',
        'ԁ' => 'd',
        'ԝ' => 'w',
        'ь' => 'b',
        // Greek
        'α' => 'a',
        'ε' => 'e',
        'ι' | 'ί' => 'i',
        'κ' => 'k',
        'ν' => 'v',
        'ο' | 'ό' => 'o',
        'ρ' => 'p',
        'τ' => 't',
        'υ' => 'u',
        'χ' => 'x',
        'ϲ' => 'c',
        'ϳ' => 'j',
        'ω' => 'w',
        'γ' => 'y',
        // Latin look-alikes and letters with marks
        'ı' => 'i',
        'ȷ' => 'j',
        'ɑ' => 'a',
        'ɡ' => 'g',
        'ǀ' => 'l',
        'à'..='å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'č' => 'c',
        'è'..='ë' | 'ē' | 'ė' | 'ę' | 'ě' => 'e',
        'ì'..='ï' => 'i',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò'..='ö' | 'ø' | 'ō' | 'ő' => 'o',
        'ù'..='ü' | 'ū' | 'ů' | 'ű' => 'u',
        'ý' | 'ÿ' => 'y',
        'ś' | 'š' => 's',
        'ź' | 'ż' | 'ž' => 'z',
        // Digits that pass for letters
        '0' => 'o',
        '1' => 'l',
        _ => return None,
    })
}

/// The skeleton of a host name: lowercase, look-alike characters folded, then `rn` → `m` and
/// `vv` → `w`. Two names with the same skeleton look the same to a hurried reader.
pub(crate) fn skeleton(host: &str) -> String {
    let folded: String = host.chars().flat_map(char::to_lowercase).map(|c| fold_char(c).unwrap_or(c)).collect();
    folded.replace("rn", "m").replace("vv", "w")
}

/// Levenshtein distance, for short labels only (callers bound the lengths).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skeletons_fold_look_alikes() {
        assert_eq!(skeleton("zoorn.us"), "zoom.us");
        assert_eq!(skeleton("z00m.us"), "zoom.us");
        assert_eq!(skeleton("tеams.microsoft.com"), "teams.microsoft.com", "Cyrillic е");
        assert_eq!(skeleton("vvhereby.com"), "whereby.com");
        assert_eq!(skeleton("gοοgle.com"), "google.com", "Greek ο");
        assert_eq!(skeleton("WEBEX.com"), "webex.com");
    }

    #[test]
    fn mixed_scripts_are_found_per_label() {
        assert!(mixes_scripts("tеams"), "Latin with a Cyrillic е");
        assert!(!mixes_scripts("пример"), "all Cyrillic");
        assert!(!mixes_scripts("bücher"));
        assert!(!mixes_scripts("ドメイン名example"), "Katakana with Latin is allowed");
        assert!(mixes_scripts("pаypal"));
        assert!(mixes_scripts("αβγabc"));
        assert!(!mixes_scripts("abc-123"));
    }

    #[test]
    fn edit_distance_counts_single_changes() {
        assert_eq!(edit_distance("webex", "wedex"), 1);
        assert_eq!(edit_distance("webex", "webx"), 1);
        assert_eq!(edit_distance("whereby", "whereby"), 0);
        assert_eq!(edit_distance("zoom", "loom"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
