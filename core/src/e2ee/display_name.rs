//! Display names as Trygg shows and compares them.
//!
//! A name is what a joiner typed, sealed in their knock; nothing vouches for it (remembered
//! identity keys do that, see [`super::verify`]). So that it can neither forge other text on a
//! screen or a terminal (a newline and a fake "security code" line, a right-to-left override)
//! nor slip past the "known name, new key" warning with an invisible or look-alike letter, every
//! name is [`clean`]ed where it enters (the knock, the profile, our own) and names are compared by
//! their [`skeleton`].

use icu_normalizer::ComposingNormalizerBorrowed;

/// The longest name shown, in characters.
pub const MAX_CHARS: usize = 64;

/// Format characters that draw nothing or reorder text: zero-width spaces and joiners, bidi
/// marks, embeddings, overrides and isolates, the word joiner and invisible operators, the byte
/// order mark, the soft hyphen, the Mongolian vowel separator, interlinear annotations and tags.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFFB}' | '\u{E0000}'..='\u{E0FFF}')
}

/// A name as it is shown: NFKC-normalised (full-width and styled letters become plain ones),
/// without control or invisible format characters, every run of white space one space, trimmed,
/// at most [`MAX_CHARS`] characters.
pub fn clean(raw: &str) -> String {
    let nfkc = ComposingNormalizerBorrowed::new_nfkc().normalize(raw);
    let mut out = String::with_capacity(nfkc.len().min(MAX_CHARS * 4));
    let mut space = false;
    let mut n = 0;
    for c in nfkc.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if c.is_control() || is_invisible(c) {
            continue;
        }
        if space {
            if n + 1 >= MAX_CHARS {
                break;
            }
            out.push(' ');
            n += 1;
            space = false;
        }
        if n >= MAX_CHARS {
            break;
        }
        out.push(c);
        n += 1;
    }
    out
}

/// What two names are compared by: the cleaned name, lower-cased, with look-alike letters
/// folded (Cyrillic `а` → `a`, `0` → `o`, `rn` → `m`, …). "Alice", "alice " and "Аlice" with a
/// Cyrillic А have one skeleton, so the key-changed warning sees them as one person.
pub fn skeleton(name: &str) -> String {
    crate::links::confusables::skeleton(&clean(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_invisibles_and_overrides_are_gone_and_space_is_one_space() {
        assert_eq!(clean("  Kari \n\t Nordmann  "), "Kari Nordmann");
        assert_eq!(clean("Al\u{200B}ice"), "Alice");
        assert_eq!(clean("Eve\u{202E}ecilA"), "EveecilA");
        assert_eq!(clean("a\u{7}\u{1b}[31mb"), "a[31mb");
        assert_eq!(clean("Alice\nSecurity code: 1234 5678"), "Alice Security code: 1234 5678");
        assert_eq!(clean("\u{FEFF}\u{2066}Bob\u{2069}"), "Bob");
        assert_eq!(clean(""), "");
        assert_eq!(clean("\u{200B} \u{200D}"), "");
    }

    #[test]
    fn nfkc_turns_styled_and_full_width_letters_into_plain_ones() {
        assert_eq!(clean("ＡＬＩＣＥ"), "ALICE");
        assert_eq!(clean("𝐀𝐥𝐢𝐜𝐞"), "Alice");
        assert_eq!(clean("Åse"), clean("A\u{030A}se"), "composed and decomposed are one name");
    }

    #[test]
    fn names_are_capped_at_64_characters() {
        let long = "ø".repeat(500);
        assert_eq!(clean(&long).chars().count(), MAX_CHARS);
        let spaced = "a ".repeat(100);
        let c = clean(&spaced);
        assert!(c.chars().count() <= MAX_CHARS && !c.ends_with(' '), "{c:?}");
    }

    #[test]
    fn look_alikes_share_a_skeleton_and_different_names_do_not() {
        assert_eq!(skeleton("Alice"), skeleton("alice "));
        assert_eq!(skeleton("Alice"), skeleton("\u{0410}lice"), "Cyrillic А");
        assert_eq!(skeleton("Alice"), skeleton("Al\u{200B}ice"));
        assert_eq!(skeleton("Martin"), skeleton("Rnartin".to_lowercase().as_str()));
        assert_ne!(skeleton("Alice"), skeleton("Alina"));
    }
}
