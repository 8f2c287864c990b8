//! `trygg bench audio`: what the microphone's processing (echo cancellation, noise suppression,
//! gain control: [`crate::media::audio_processing`]) does to known signals, and what it costs.
//!
//! The signals: a far-end talker played by the speaker and heard back by the microphone through
//! a room (40 ms to the first reflection, a decaying tail with a 300 ms reverberation time, −6 dB
//! overall), a near-end talker, and steady noise. Talkers come from 48 kHz WAV files
//! (`scripts/bench-audio.sh` makes them with espeak-ng and scores the results with ITU-T P.862
//! PESQ) or, without files, from a speech-like synthetic signal (syllables of shaped noise).
//!
//! Figures: ERLE (echo return loss enhancement) in single talk after 2 s; the near talker kept in
//! double talk (and the three double-talk signals written out for PESQ); the SNR gain on speech
//! plus steady noise; where a talker at −40 dBFS leaves after gain control, and when it settled;
//! the processing time per 10 ms with every stage on, and its share of one core.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use super::Machine;
use crate::media::MediaError;
use crate::media::audio_processing::{AudioProcessingConfig, AudioProcessor};
use crate::media::frame::{AudioFrame, SAMPLE_RATE};
use crate::media::stats::Percentiles;
use crate::media::wav::{Wav, WavWriter};

const SECOND: usize = SAMPLE_RATE as usize;
const FRAME: usize = SECOND / 50;

/// Everything `trygg bench audio` measured.
#[derive(Debug, Clone, Serialize)]
pub struct AudioReport {
    /// Where it ran.
    pub machine: Machine,
    /// `files` (the talkers came from WAV files) or `synthetic`.
    pub signals: &'static str,
    /// Seconds of each signal.
    pub seconds: f64,
    /// Echo return loss enhancement, single talk, after the first 2 s, echo cancellation alone.
    pub erle_db: f64,
    /// The same with every stage on.
    pub erle_all_on_db: f64,
    /// ERLE over seconds 2 to 4 (how soon it converges).
    pub erle_2_to_4_s_db: f64,
    /// Double talk: the near talker's level in the output against the input, where the far end
    /// pauses (dB; 0 is all of it kept).
    pub double_talk_near_kept_db: f64,
    /// Speech plus steady noise at 5 dB SNR: noise lowered minus speech lowered, in dB.
    pub noise_snr_gain_db: f64,
    /// A talker at −40 dBFS (active level) after gain control: its active level in the last
    /// half, in dBFS.
    pub agc_out_dbfs: f64,
    /// Seconds until the gain on speech stays within 3 dB of its final gain (1 s windows).
    pub agc_settled_s: f64,
    /// Processing time per 10 ms with every stage on, in microseconds.
    pub per_10ms_us: Percentiles,
    /// Processing time as a share of one core, in percent.
    pub cpu_pct: f64,
    /// Where the double-talk signals were written for PESQ (`near.wav`, `mic.wav`, `out.wav`).
    pub written: Option<PathBuf>,
}

/// A speech-like talker: shaped noise in syllables of about 200 ms with a pause between
/// phrases, at a peak near `level`.
pub fn talker(seconds: usize, seed: u32, level: f32) -> Vec<f32> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    let mut noise = move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        (x as f32 / u32::MAX as f32) * 2.0 - 1.0
    };
    let resonator = |f: f32, r: f32| {
        let w = 2.0 * std::f32::consts::PI * f / SAMPLE_RATE as f32;
        (2.0 * r * w.cos(), -r * r)
    };
    let (a1, a2) = resonator(700.0 + seed as f32 * 37.0, 0.98);
    let (b1, b2) = resonator(2_000.0 + seed as f32 * 53.0, 0.97);
    let (mut y1, mut y2, mut z1, mut z2) = (0.0f32, 0.0f32, 0.0f32, 0.0f32);
    (0..seconds * SECOND)
        .map(|n| {
            let t = n as f32 / SAMPLE_RATE as f32;
            let syllable = (std::f32::consts::PI * t * 5.0).sin().max(0.0).powi(2);
            let phrase = if (t + seed as f32 * 0.3) % 3.0 < 2.2 { 1.0 } else { 0.0 };
            let e = noise();
            let y = e + a1 * y1 + a2 * y2;
            (y2, y1) = (y1, y);
            let z = e + b1 * z1 + b2 * z2;
            (z2, z1) = (z1, z);
            level * syllable * phrase * (0.05 * y + 0.03 * z)
        })
        .collect()
}

/// A room's answer to what the speaker plays: the first reflection after 40 ms, then a tail of
/// decaying noise with a 300 ms reverberation time; −6 dB overall.
pub(crate) fn room_echo(signal: &[f32]) -> Vec<f32> {
    let delay = SECOND * 40 / 1000;
    let length = SECOND * 300 / 1000;
    let mut x = 7u32;
    let mut response: Vec<f32> = (0..length)
        .map(|n| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (x >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0;
            // 60 dB down after 300 ms.
            noise * 10f32.powf(-3.0 * n as f32 / length as f32)
        })
        .collect();
    response[0] = 1.0;
    let norm = response.iter().map(|r| r * r).sum::<f32>().sqrt();
    response.iter_mut().for_each(|r| *r *= 0.5 / norm);
    // Sparse: every fourth tap of the tail is enough for a room's colour and keeps this quick.
    let taps: Vec<(usize, f32)> =
        response.iter().enumerate().filter(|(n, _)| n % 4 == 0).map(|(n, r)| (delay + n, r * 2.0)).collect();
    (0..signal.len()).map(|n| taps.iter().filter(|(d, _)| n >= *d).map(|(d, g)| g * signal[n - d]).sum()).collect()
}

fn energy(s: &[f32]) -> f64 {
    s.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>().max(1e-20)
}

fn db(ratio: f64) -> f64 {
    10.0 * ratio.log10()
}

/// Mean power of each 20 ms frame.
fn frame_powers(s: &[f32]) -> Vec<f64> {
    s.chunks_exact(FRAME).map(|f| energy(f) / FRAME as f64).collect()
}

/// Which 20 ms frames of a clean talker are speech (within 35 dB of its loudest frame) and which
/// are pauses (more than 60 dB below it, and so are both neighbours).
fn speech_and_pauses(clean: &[f32]) -> (Vec<bool>, Vec<bool>) {
    let p = frame_powers(clean);
    let loudest = p.iter().copied().fold(1e-20, f64::max);
    let speech: Vec<bool> = p.iter().map(|&x| x > loudest * 10f64.powf(-3.5)).collect();
    let silent: Vec<bool> = p.iter().map(|&x| x < loudest * 1e-6).collect();
    let pauses =
        (0..p.len()).map(|i| silent[i] && silent[i.saturating_sub(1)] && *silent.get(i + 1).unwrap_or(&true)).collect();
    (speech, pauses)
}

/// Mean of the frame powers where `which` holds, from frame `from` on.
fn mean_where(p: &[f64], which: &[bool], from: usize) -> f64 {
    let v: Vec<f64> = p.iter().zip(which).skip(from).filter(|(_, w)| **w).map(|(x, _)| *x).collect();
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// The active level in dBFS (mean square, full scale 1.0) of a talker's speech frames.
fn active_dbfs(s: &[f32], speech: &[bool]) -> f64 {
    db(mean_where(&frame_powers(s), speech, 0).max(1e-20))
}

/// Runs `mic` through a processor with `config`, the speaker playing `far` first in each frame;
/// the output and the time each 10 ms took (µs).
fn process(config: AudioProcessingConfig, far: Option<&[f32]>, mic: &[f32]) -> (Vec<f32>, Vec<f64>) {
    let p = AudioProcessor::new(config, 1).expect("a stage is on");
    let mut out = Vec::with_capacity(mic.len());
    let mut times = Vec::with_capacity(mic.len() / FRAME * 2);
    for (i, chunk) in mic.chunks_exact(FRAME).enumerate() {
        let start = Instant::now();
        if let Some(far) = far.and_then(|f| f.get(i * FRAME..(i + 1) * FRAME))
            && let Ok(frame) = AudioFrame::new(far.to_vec(), 1, 0)
        {
            p.render(&frame);
        }
        let Ok(frame) = AudioFrame::new(chunk.to_vec(), 1, 0) else { continue };
        let frame = p.capture(frame);
        let us = start.elapsed().as_secs_f64() * 1e6 / 2.0;
        times.extend([us, us]);
        out.extend_from_slice(frame.samples());
    }
    (out, times)
}

fn read_talker(path: &Path) -> Result<Vec<f32>, MediaError> {
    let bytes = std::fs::read(path).map_err(|e| MediaError::invalid("talker", format!("{}: {e}", path.display())))?;
    Ok(Wav::parse(&bytes)?.to_mono_48k())
}

fn write(dir: &Path, name: &str, samples: &[f32]) -> Result<(), MediaError> {
    let mut w = WavWriter::create(&dir.join(name), 1)?;
    w.write(samples)?;
    w.finish()
}

/// Runs the benchmark on the talkers in `far` and `near` (48 kHz WAV; both or neither), or on
/// `seconds` of synthetic talkers; writes the double-talk signals to `out` when given.
pub fn run(
    far: Option<&Path>,
    near: Option<&Path>,
    seconds: usize,
    out: Option<&Path>,
) -> Result<AudioReport, MediaError> {
    let (far, near, signals) = match (far, near) {
        (Some(f), Some(n)) => (read_talker(f)?, read_talker(n)?, "files"),
        (None, None) => (talker(seconds, 1, 1.0), talker(seconds, 7, 1.0), "synthetic"),
        _ => return Err(MediaError::invalid("talkers", "give both --far and --near, or neither")),
    };
    let len = far.len().min(near.len());
    if len < 6 * SECOND {
        return Err(MediaError::invalid("talkers", "each needs at least 6 s of audio"));
    }
    let (far, near) = (&far[..len], &near[..len]);
    let echo_only = AudioProcessingConfig { noise_suppression: false, gain_control: false, ..Default::default() };
    let after = 2 * SECOND;

    // Single talk: the microphone hears only the room's echo of the far end (and a faint floor).
    let echo: Vec<f32> =
        room_echo(far).iter().enumerate().map(|(n, e)| e + 3e-4 * ((n % 7) as f32 - 3.0) / 3.0).collect();
    let (cancelled, _) = process(echo_only, Some(far), &echo);
    let erle_db = db(energy(&echo[after..]) / energy(&cancelled[after..]));
    let erle_2_to_4_s_db = db(energy(&echo[after..2 * after]) / energy(&cancelled[after..2 * after]));
    let (all_on, _) = process(AudioProcessingConfig::default(), Some(far), &echo);
    let erle_all_on_db = db(energy(&echo[after..]) / energy(&all_on[after..]));

    // Double talk: echo and the near talker at once.
    let mic: Vec<f32> = echo.iter().zip(near).map(|(e, n)| e + n).collect();
    let (double, _) = process(echo_only, Some(far), &mic);
    let far_pauses: Vec<usize> =
        (after..len).filter(|&n| far[n.saturating_sub(SECOND / 5)..n].iter().all(|s| s.abs() < 1e-3)).collect();
    let power = |s: &[f32], at: &[usize]| at.iter().map(|&n| f64::from(s[n]).powi(2)).sum::<f64>().max(1e-20);
    let double_talk_near_kept_db = db(power(&double, &far_pauses) / power(near, &far_pauses));
    let written = match out {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| MediaError::invalid("--out", e.to_string()))?;
            let (all, _) = process(AudioProcessingConfig::default(), Some(far), &mic);
            write(dir, "near.wav", near)?;
            write(dir, "mic.wav", &mic)?;
            write(dir, "out.wav", &double)?;
            write(dir, "out_all_on.wav", &all)?;
            Some(dir.to_path_buf())
        }
        None => None,
    };

    // Noise: the near talker with steady noise at 5 dB SNR (over the talker's active level).
    let (speech, pauses) = speech_and_pauses(near);
    let mut x = 12_345u32;
    let mut lp = 0.0f32;
    // A fan: white noise low-passed.
    let fan: Vec<f32> = (0..len)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            lp += 0.1 * ((x >> 16) as f32 / 32_768.0 - 1.0 - lp);
            lp
        })
        .collect();
    let gain = 10f64.powf((active_dbfs(near, &speech) - 5.0 - db(energy(&fan) / len as f64)) / 20.0) as f32;
    let noisy: Vec<f32> = near.iter().zip(&fan).map(|(s, n)| s + gain * n).collect();
    let ns_only = AudioProcessingConfig { echo_cancellation: false, gain_control: false, ..Default::default() };
    let (denoised, _) = process(ns_only, None, &noisy);
    // SNR: speech power (speech frames less the noise) over the noise (pause frames), after 2 s.
    let snr = |s: &[f32]| {
        let p = frame_powers(s);
        let noise = mean_where(&p, &pauses, 100).max(1e-20);
        db((mean_where(&p, &speech, 100) - noise).max(1e-20) / noise)
    };
    let noise_snr_gain_db = snr(&denoised) - snr(&noisy);

    // Gain control: the near talker at −40 dBFS.
    let scale = 10f64.powf((-40.0 - active_dbfs(near, &speech)) / 20.0) as f32;
    let faint: Vec<f32> = near.iter().map(|s| s * scale).collect();
    let agc_only = AudioProcessingConfig { echo_cancellation: false, noise_suppression: false, gain_control: true };
    let (raised, _) = process(agc_only, None, &faint);
    let half = speech.len() / 2;
    let agc_out_dbfs = db(mean_where(&frame_powers(&raised), &speech, half).max(1e-20));
    // Settled: from this second on, the gain on speech stays within 3 dB of the final gain.
    let (p_in, p_out) = (frame_powers(&faint), frame_powers(&raised));
    let gain_in = |from: usize, to: usize| {
        let (mut i, mut o) = (0.0, 0.0);
        for f in (from..to.min(speech.len())).filter(|&f| speech[f]) {
            (i, o) = (i + p_in[f], o + p_out[f]);
        }
        (i > 0.0).then(|| db(o / i))
    };
    let final_gain = gain_in(half, speech.len()).unwrap_or(0.0);
    let seconds_n = speech.len() / 50;
    let settled = (0..seconds_n)
        .rev()
        .take_while(|&s| gain_in(s * 50, (s + 1) * 50).is_none_or(|g| (g - final_gain).abs() <= 3.0))
        .last()
        .unwrap_or(seconds_n);

    // Cost: every stage on, double talk.
    let cpu_start = cpu_time();
    let (_, times) = process(AudioProcessingConfig::default(), Some(far), &mic);
    let cpu_s = cpu_time() - cpu_start;
    let audio_s = len as f64 / SECOND as f64;

    Ok(AudioReport {
        machine: Machine::this(),
        signals,
        seconds: audio_s,
        erle_db,
        erle_all_on_db,
        erle_2_to_4_s_db,
        double_talk_near_kept_db,
        noise_snr_gain_db,
        agc_out_dbfs,
        agc_settled_s: settled as f64,
        per_10ms_us: Percentiles::of(&times),
        cpu_pct: cpu_s / audio_s * 100.0,
        written,
    })
}

/// This thread's CPU time in seconds (user + system); the wall clock where it cannot be read.
fn cpu_time() -> f64 {
    let path = format!("/proc/self/task/{}/stat", gettid());
    let ticks = super::stat_ticks(&path);
    if ticks > 0 { ticks as f64 / 100.0 } else { std::time::UNIX_EPOCH.elapsed().map_or(0.0, |d| d.as_secs_f64()) }
}

fn gettid() -> i64 {
    #[cfg(target_os = "linux")]
    {
        std::fs::read_link("/proc/thread-self").ok().and_then(|p| p.file_name()?.to_str()?.parse().ok()).unwrap_or(0)
    }
    #[cfg(not(target_os = "linux"))]
    {
        0
    }
}
