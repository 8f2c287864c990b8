//! RTP without sockets: packets in, whole frames out (the receiving side), how often keyframes
//! are asked for and made, and how fast video is encoded.

pub mod arrival_delay;
pub mod assembler;
pub mod congestion;
pub mod jitter_buffer;
pub mod keyframe_gate;
pub mod lip_sync;
pub mod retransmission_budget;
pub mod send_rate;
pub mod video_ladder;
pub mod window_min;
