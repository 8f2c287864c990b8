//! The warnings of one input: each listed once, in the order met, and not too many.
//!
//! A hostile input can raise a distinct warning per link (`https://u@h1.example`,
//! `https://u@h2.example`, …) or per event (a new unknown `TZID` each). Checking a list for
//! duplicates would make that quadratic, and listing them all would send megabytes to the UI:
//! duplicates are found through a hash set, and at most [`MAX_WARNINGS_PER_CODE`] of a kind and
//! [`MAX_WARNINGS`] in all are listed, the rest counted in one [`Warning::TooManyWarnings`].

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use super::limits::{MAX_WARNINGS, MAX_WARNINGS_PER_CODE};
use super::safety::Warning;

/// Warnings as they are met, deduplicated and capped.
#[derive(Debug, Default)]
pub(crate) struct Warnings {
    list: Vec<Warning>,
    listed: HashSet<Warning>,
    per_code: HashMap<&'static str, usize>,
    /// Hashes of the distinct warnings left out, by code. Only counted, so a hash is enough
    /// (and takes 8 bytes however long the warning).
    left_out: HashMap<&'static str, HashSet<u64>>,
    /// Left out by an earlier reader (the iCalendar parser), passed on as a `TooManyWarnings`.
    left_out_before: usize,
}

impl Warnings {
    /// Adds a warning unless it is listed already or its kind (or the list) is full.
    pub fn push(&mut self, w: Warning) {
        if let Warning::TooManyWarnings { omitted } = w {
            self.left_out_before += omitted;
            return;
        }
        if self.listed.contains(&w) {
            return;
        }
        let code = w.code();
        let n = self.per_code.entry(code).or_default();
        if *n >= MAX_WARNINGS_PER_CODE || self.list.len() >= MAX_WARNINGS {
            let mut h = DefaultHasher::new();
            w.hash(&mut h);
            self.left_out.entry(code).or_default().insert(h.finish());
            return;
        }
        *n += 1;
        self.listed.insert(w.clone());
        self.list.push(w);
    }

    /// Whether this warning is listed.
    #[cfg(test)]
    pub fn contains(&self, w: &Warning) -> bool {
        self.listed.contains(w)
    }

    /// Forgets every warning of one kind, listed or left out.
    pub fn forget(&mut self, code: &str) {
        self.list.retain(|w| w.code() != code);
        self.listed.retain(|w| w.code() != code);
        self.per_code.remove(code);
        self.left_out.remove(code);
    }

    /// The listed warnings, then one `TooManyWarnings` if any were left out.
    pub fn into_vec(self) -> Vec<Warning> {
        let mut list = self.list;
        let omitted = self.left_out.values().map(HashSet::len).sum::<usize>() + self.left_out_before;
        if omitted > 0 {
            list.push(Warning::TooManyWarnings { omitted });
        }
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user_info(i: usize) -> Warning {
        Warning::UserInfo { host: format!("h{i}.example") }
    }

    #[test]
    fn each_warning_is_listed_once_and_each_kind_at_most_ten_times() {
        let mut w = Warnings::default();
        for i in 0..1000 {
            w.push(user_info(i % 30));
            w.push(Warning::Cancelled);
        }
        assert!(w.contains(&user_info(9)) && !w.contains(&user_info(10)));
        let v = w.into_vec();
        assert_eq!(v.len(), MAX_WARNINGS_PER_CODE + 2, "{v:?}");
        assert_eq!(v[1], Warning::Cancelled);
        assert_eq!(v.last(), Some(&Warning::TooManyWarnings { omitted: 20 }));
    }

    #[test]
    fn the_list_is_capped_and_an_earlier_count_is_added() {
        let mut w = Warnings::default();
        w.push(Warning::TooManyWarnings { omitted: 5 });
        for i in 0..100 {
            w.push(Warning::OverlongLink { bytes: i });
            w.push(Warning::BrokenFolding { line: i });
            w.push(Warning::UnknownTimeZone { tzid: format!("Z{i}") });
            w.push(Warning::UnsafeScheme { scheme: format!("x{i}") });
            w.push(Warning::LookalikeDomain { host: format!("h{i}"), looks_like: "zoom.us".into() });
            w.push(Warning::TamperedLink { host: format!("h{i}") });
        }
        let v = w.into_vec();
        assert_eq!(v.len(), MAX_WARNINGS + 1);
        assert_eq!(v.last(), Some(&Warning::TooManyWarnings { omitted: 600 - MAX_WARNINGS + 5 }));
    }

    #[test]
    fn forgetting_a_kind_forgets_its_left_out_ones_too() {
        let mut w = Warnings::default();
        for i in 0..20 {
            w.push(Warning::ShortenerOrRedirect { host: format!("s{i}.example") });
        }
        w.push(Warning::Cancelled);
        w.forget("shortener_or_redirect");
        assert_eq!(w.into_vec(), [Warning::Cancelled]);
    }
}
