use super::*;
use crate::bench::audio::{room_echo as echo_of, talker};

const SECOND: usize = SAMPLE_RATE as usize;
const FRAME: usize = 960;

fn energy(s: &[f32]) -> f64 {
    s.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>().max(1e-20)
}

fn db(ratio: f64) -> f64 {
    10.0 * ratio.log10()
}

/// Runs `mic` through `p` in 20 ms frames, handing it `far` (what the speaker plays) first.
fn run(p: &AudioProcessor, far: Option<&[f32]>, mic: &[f32]) -> Vec<f32> {
    let mut out = Vec::with_capacity(mic.len());
    for (i, chunk) in mic.chunks_exact(FRAME).enumerate() {
        if let Some(far) = far.and_then(|f| f.get(i * FRAME..(i + 1) * FRAME)) {
            p.render(&AudioFrame::new(far.to_vec(), 1, 0).unwrap());
        }
        let frame = p.capture(AudioFrame::new(chunk.to_vec(), 1, i as u64 * 20_000).unwrap());
        assert_eq!(frame.capture_us, i as u64 * 20_000, "the capture time is kept");
        out.extend_from_slice(frame.samples());
    }
    out
}

fn only(echo_cancellation: bool, noise_suppression: bool, gain_control: bool) -> AudioProcessor {
    AudioProcessor::new(AudioProcessingConfig { echo_cancellation, noise_suppression, gain_control }, 1).unwrap()
}

#[test]
fn the_far_end_played_by_the_speaker_is_taken_out_of_the_microphone() {
    let far = talker(8, 1, 1.0);
    let mic = echo_of(&far);
    let out = run(&only(true, false, false), Some(&far), &mic);
    let after = 3 * SECOND;
    let erle = db(energy(&mic[after..]) / energy(&out[after..]));
    assert!(erle > 20.0, "the echo went down by {erle:.1} dB only");
    // Without the canceller the same echo goes out as it came.
    let kept = run(&only(false, true, false), Some(&far), &mic);
    assert!(db(energy(&mic[after..]) / energy(&kept[after..])) < 10.0);
}

#[test]
fn the_near_talker_is_kept_while_the_far_end_plays() {
    let far = talker(8, 1, 1.0);
    let near = talker(8, 7, 1.0);
    let mic: Vec<f32> = echo_of(&far).iter().zip(&near).map(|(e, n)| e + n).collect();
    let out = run(&only(true, false, false), Some(&far), &mic);
    // While only the near talker speaks (the far end's phrases pause), most of them gets out.
    let quiet_far: Vec<usize> =
        (3 * SECOND..8 * SECOND).filter(|&n| far[n.saturating_sub(SECOND / 10)..n].iter().all(|s| *s == 0.0)).collect();
    assert!(quiet_far.len() > SECOND / 2, "the test signal has far-end pauses");
    let kept: f64 = quiet_far.iter().map(|&n| f64::from(out[n]).powi(2)).sum();
    let said: f64 = quiet_far.iter().map(|&n| f64::from(near[n]).powi(2)).sum();
    assert!(db(kept / said) > -6.0, "the near talker lost {:.1} dB", -db(kept / said));
}

#[test]
fn a_quiet_microphone_leaves_at_a_speaking_level() {
    // -40 dBFS or so: someone far from a laptop's microphone.
    let near = talker(12, 3, 0.05);
    let out = run(&only(false, false, true), None, &near);
    let level = |s: &[f32]| db(energy(s) / s.len() as f64);
    let before = level(&near[8 * SECOND..]);
    let after = level(&out[8 * SECOND..]);
    assert!(after - before > 10.0, "raised by {:.1} dB only ({before:.1} → {after:.1} dBFS)", after - before);
}

#[test]
fn steady_noise_is_lowered_and_speech_is_not() {
    let near = talker(8, 5, 1.0);
    let mut x = 12345u32;
    let noise: Vec<f32> = (0..near.len())
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            0.01 * ((x >> 16) as f32 / 32768.0 - 1.0)
        })
        .collect();
    let mic: Vec<f32> = near.iter().zip(&noise).map(|(s, n)| s + n).collect();
    let out = run(&only(false, true, false), None, &mic);
    // Pauses between phrases (the processing delays its output a little: the edges of speech
    // are not pauses).
    let pauses: Vec<usize> = (3 * SECOND..7 * SECOND)
        .filter(|&n| near[n - SECOND / 10..n + SECOND / 10].iter().all(|s| *s == 0.0))
        .collect();
    assert!(pauses.len() > SECOND / 2, "the test signal has pauses");
    let speech: Vec<usize> = (3 * SECOND..8 * SECOND).filter(|&n| near[n].abs() > 0.05).collect();
    let power = |s: &[f32], at: &[usize]| at.iter().map(|&n| f64::from(s[n]).powi(2)).sum::<f64>() / at.len() as f64;
    let noise_down = db(power(&mic, &pauses) / power(&out, &pauses));
    let speech_down = db(power(&mic, &speech) / power(&out, &speech));
    assert!(noise_down > 10.0, "noise lowered by {noise_down:.1} dB only");
    assert!(speech_down < 3.0, "speech lowered by {speech_down:.1} dB");
}

#[test]
fn bad_microphone_input_and_a_speaker_that_stops_lose_nothing_and_blow_nothing_up() {
    let p = AudioProcessor::new(AudioProcessingConfig::default(), 1).unwrap();
    let far = talker(4, 1, 1.0);
    let mut cases: Vec<(&str, Vec<f32>)> = vec![
        ("silence", vec![0.0; 2 * SECOND]),
        ("clipping", (0..2 * SECOND).map(|n| if (n / 50) % 2 == 0 { 1.0 } else { -1.0 }).collect()),
        ("DC", vec![0.7; 2 * SECOND]),
        (
            "NaN and infinities",
            (0..2 * SECOND).map(|n| [f32::NAN, f32::INFINITY, -f32::INFINITY, 0.3][n % 4]).collect(),
        ),
        ("far beyond full scale", vec![1e9; 2 * SECOND]),
    ];
    cases.push(("echo after the speaker is gone", echo_of(&far)));
    for (what, mic) in cases {
        // The speaker plays for the first second only, then the device is gone.
        let out = run(&p, Some(&far[..SECOND]), &mic);
        assert_eq!(out.len(), mic.len(), "{what}: every sample comes out");
        assert!(out.iter().all(|s| s.is_finite() && s.abs() <= 1.0), "{what}: out of range");
    }
}

#[test]
fn stereo_microphones_and_odd_frames_pass_and_all_off_is_no_processor() {
    assert!(AudioProcessor::new(AudioProcessingConfig::OFF, 1).is_none());
    let p = AudioProcessor::new(AudioProcessingConfig::default(), 2).unwrap();
    let frame = AudioFrame::new(vec![0.1; FRAME * 2], 2, 5).unwrap();
    let out = p.capture(frame);
    assert_eq!((out.channels(), out.samples().len(), out.capture_us), (2, FRAME * 2, 5));
    // A mono frame to a stereo processor comes back as it was.
    let mono = AudioFrame::new(vec![0.2; FRAME], 1, 6).unwrap();
    assert_eq!(p.capture(mono).samples(), &[0.2; FRAME][..]);
    p.render(&AudioFrame::new(vec![0.1; FRAME * 2], 2, 0).unwrap());
}

/// The card takes each 20 ms of the far end as it plays it, into `played`; `late` frames later
/// (the mixer's own pace, on a busy machine) the mixer hands over what was taken; the
/// microphone frame with the echo is captured in between. Returns the microphone as it left.
fn run_with_card(p: &AudioProcessor, played: &Played, far: &[f32], mic: &[f32], late: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(mic.len());
    for (i, chunk) in mic.chunks_exact(FRAME).enumerate() {
        played.push(&far[i * FRAME..(i + 1) * FRAME]);
        out.extend_from_slice(p.capture(AudioFrame::new(chunk.to_vec(), 1, 0).unwrap()).samples());
        if i % late.max(1) == 0 {
            p.render_played();
        }
    }
    out
}

#[test]
fn what_the_card_took_reaches_the_canceller_before_the_echo_of_it_however_late_the_mixer_is() {
    let far = talker(8, 1, 1.0);
    let mic = echo_of(&far);
    let after = 3 * SECOND;
    for late in [1, 3, 10] {
        let (p, played) = (only(true, false, false), Played::default());
        p.follow(played.clone());
        let out = run_with_card(&p, &played, &far, &mic, late);
        let erle = db(energy(&mic[after..]) / energy(&out[after..]));
        assert!(erle > 20.0, "with the mixer {late} frames late the echo went down by {erle:.1} dB only");
    }
}

#[test]
fn a_reference_that_comes_after_its_echo_cannot_be_cancelled() {
    // What the mixer alone did: the reference handed over 60 ms after the microphone frame that
    // holds its echo (40 ms after the sound) came too late for the canceller.
    let far = talker(8, 1, 1.0);
    let mic = echo_of(&far);
    let p = only(true, false, false);
    let mut out = Vec::with_capacity(mic.len());
    for (i, chunk) in mic.chunks_exact(FRAME).enumerate() {
        out.extend_from_slice(p.capture(AudioFrame::new(chunk.to_vec(), 1, 0).unwrap()).samples());
        if let Some(late) = i.checked_sub(3) {
            p.render(&AudioFrame::new(far[late * FRAME..(late + 1) * FRAME].to_vec(), 1, 0).unwrap());
        }
    }
    let after = 3 * SECOND;
    let erle = db(energy(&mic[after..]) / energy(&out[after..]));
    assert!(erle < 15.0, "a late reference still took {erle:.1} dB off");
}
