//! RTP on the receiving side, without sockets: packets in, whole frames out.

pub mod assembler;
