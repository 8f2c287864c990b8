//! A list of dial-in numbers as invites give them: each number once, with its DTMF when any
//! copy has one, in the order met, at most [`MAX_DIAL_INS`].
//!
//! Invites repeat numbers (the one-tap line `+4722…,,123#` and the list below it), so every
//! number is merged into the list rather than appended. A hostile text can hold millions of
//! numbers: the list keeps an index, so each merge costs the same however long the list is, and
//! it stops growing at the cap (real invites list at most ~100 numbers).

use std::collections::HashMap;

use super::limits::MAX_DIAL_INS;
use super::tel_uri::DialIn;

/// Where the entries of one number are.
#[derive(Debug, Default)]
struct Positions {
    /// The first entry with this number.
    first: usize,
    /// The entry with this number and no DTMF (there is at most one, and only while no entry
    /// with DTMF came before it).
    bare: Option<usize>,
    /// The first entry with this number and this DTMF.
    by_dtmf: HashMap<String, usize>,
}

/// Dial-ins merged as [`DialInList::merge`] says, with an index by number.
#[derive(Debug, Default)]
pub(crate) struct DialInList {
    list: Vec<DialIn>,
    index: HashMap<String, Positions>,
    /// Whether a number was left out for the cap.
    pub full: bool,
}

impl DialInList {
    /// A list that starts with these entries (already merged).
    pub fn new(list: Vec<DialIn>) -> Self {
        let mut index: HashMap<String, Positions> = HashMap::new();
        for (i, d) in list.iter().enumerate() {
            let p = index.entry(d.number.clone()).or_insert_with(|| Positions { first: i, ..Positions::default() });
            match &d.dtmf {
                None => {
                    p.bare.get_or_insert(i);
                }
                Some(t) => {
                    p.by_dtmf.entry(t.clone()).or_insert(i);
                }
            }
        }
        Self { list, index, full: false }
    }

    /// Adds a dial-in unless it is already there: a number without DTMF adds nothing to the
    /// same number with DTMF, and replaces nothing either; with DTMF it fills in a bare entry.
    /// The first entry in list order that matches is the one merged into. A new number beyond
    /// [`MAX_DIAL_INS`] is left out (and [`DialInList::full`] set).
    pub fn merge(&mut self, d: DialIn) {
        let found = self.index.get(&d.number).and_then(|p| match &d.dtmf {
            None => Some(p.first),
            Some(t) => match (p.by_dtmf.get(t), p.bare) {
                (Some(&a), Some(b)) => Some(a.min(b)),
                (a, b) => a.copied().or(b),
            },
        });
        let Some(i) = found else {
            self.push(d);
            return;
        };
        let x = &mut self.list[i];
        if x.dtmf.is_none() && d.dtmf.is_some() {
            let label = x.label.take();
            *x = d;
            x.label = x.label.take().or(label);
            let p = self.index.get_mut(&x.number).expect("indexed");
            p.bare = None;
            let at = p.by_dtmf.entry(x.dtmf.clone().expect("some")).or_insert(i);
            *at = (*at).min(i);
        } else if x.label.is_none() {
            x.label = d.label;
        }
    }

    fn push(&mut self, d: DialIn) {
        if self.list.len() >= MAX_DIAL_INS {
            self.full = true;
            return;
        }
        let i = self.list.len();
        let p = self.index.entry(d.number.clone()).or_insert_with(|| Positions { first: i, ..Positions::default() });
        match &d.dtmf {
            None => p.bare = Some(i),
            Some(t) => {
                p.by_dtmf.entry(t.clone()).or_insert(i);
            }
        }
        self.list.push(d);
    }

    /// The entries, in order.
    pub fn into_vec(self) -> Vec<DialIn> {
        self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule, as a linear search (what the index must agree with).
    fn merge_slowly(list: &mut Vec<DialIn>, d: DialIn) {
        if let Some(x) =
            list.iter_mut().find(|x| x.number == d.number && (x.dtmf == d.dtmf || x.dtmf.is_none() || d.dtmf.is_none()))
        {
            if x.dtmf.is_none() && d.dtmf.is_some() {
                let label = x.label.take();
                *x = d;
                x.label = x.label.take().or(label);
            } else if x.label.is_none() {
                x.label = d.label;
            }
            return;
        }
        list.push(d);
    }

    fn dial_in(n: u32, dtmf: u32, label: u32) -> DialIn {
        let mut d =
            DialIn::new(format!("+47220000{}", n % 3), (!dtmf.is_multiple_of(4)).then(|| format!(",,{}#", dtmf % 4)));
        d.label = label.is_multiple_of(3).then(|| format!("L{label}"));
        d
    }

    #[test]
    fn the_index_merges_as_the_linear_rule_does() {
        // Every sequence of a small xorshift stream of numbers, DTMFs and labels.
        let mut x = 0x9e37_79b9u32;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        for _ in 0..200 {
            let (mut slow, mut fast) = (Vec::new(), DialInList::default());
            for _ in 0..12 {
                let d = dial_in(next(), next(), next());
                merge_slowly(&mut slow, d.clone());
                fast.merge(d);
            }
            assert_eq!(fast.into_vec(), slow);
        }
    }

    #[test]
    fn a_list_built_from_entries_continues_them() {
        let mut l = DialInList::new(vec![DialIn::new("+4722000000".into(), None)]);
        l.merge(DialIn::new("+4722000000".into(), Some(",,1#".into())));
        assert_eq!(l.into_vec(), [DialIn::new("+4722000000".into(), Some(",,1#".into()))]);
    }

    #[test]
    fn the_list_stops_at_the_cap() {
        let mut l = DialInList::default();
        for i in 0..1000 {
            l.merge(DialIn::new(format!("+47{i:08}"), None));
        }
        assert!(l.full);
        let v = l.into_vec();
        assert_eq!((v.len(), v[0].number.as_str()), (MAX_DIAL_INS, "+4700000000"));
    }
}
