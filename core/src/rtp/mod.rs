//! RTP without sockets: packets in, whole frames out (the receiving side), how often keyframes
//! are asked for and made, and how fast video is encoded.

pub mod assembler;
pub mod keyframe_gate;
pub mod send_rate;
pub mod video_ladder;
