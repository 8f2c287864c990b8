//! The meeting runtime: this participant's outgoing media, every remote participant's incoming
//! media, and the mixer.

pub mod incoming;
pub mod mixer;
pub mod outgoing;
