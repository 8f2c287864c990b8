//! Timing marks for the desktop figures (`scripts/desktop-bench.sh`): with `TRYGG_MARKS` set, the
//! moments the UI reports ("home": the home screen is painted; "prejoin": a link's pre-join
//! screen is) go to stderr with the wall clock, so that a script can time them from its own
//! launch of the app or its own click on a link. Without `TRYGG_MARKS`, nothing happens.

use std::time::{SystemTime, UNIX_EPOCH};

/// Notes a moment, when marks are asked for.
pub fn mark(moment: &str) {
    if std::env::var_os("TRYGG_MARKS").is_none() || !matches!(moment, "home" | "prejoin") {
        return;
    }
    let ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    eprintln!("[mark] {moment} {ms}");
}
