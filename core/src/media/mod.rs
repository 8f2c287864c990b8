//! The byte-level parts of media the core needs; codecs and devices are the runtime's
//! (`trygg::media`).

pub mod annexb;
pub mod opus_toc;
pub mod time_stretch;
