//! A whole meeting's life on loopback with the real runtime: three participants through the
//! lobby, media among all of them, removal, lock, the host leaving (hand-over, in the room and
//! in the encryption group), a later joiner admitted by the new host, and end-for-all.

mod common;

use std::collections::HashMap;

use common::meeting::{Participant, config};
use trygg::meeting::{Entry, MeetingCommand, MeetingEvent};
use trygg::net::signal_server::{SignalServer, SignalServerConfig};
use trygg::room::proto::LeaveReason;
use trygg::room::roles::Role;

const SECRET: &[u8] = b"the lifecycle meeting's secret";

/// Waits until `p` has decoded pictures from `n` participants.
async fn sees(p: &mut Participant, n: usize) {
    p.wait(15, &format!("pictures from {n}"), |e| {
        matches!(e, MeetingEvent::Stats { peers, .. } if peers.iter().filter(|x| x.frames_decoded > 10 && x.audio_packets > 10).count() >= n)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_from_first_knock_to_end_for_all() {
    let server = SignalServer::start(SignalServerConfig::new("127.0.0.1:0".parse().unwrap())).await.unwrap();
    let url = format!("ws://{}/", server.local_addr);
    let rec = tempfile::tempdir().unwrap();
    let cfg = |entry, name, record: Option<std::path::PathBuf>| config(&url, SECRET, entry, name, record);

    // Anna hosts; Bo and Cai knock and are admitted.
    let mut anna = Participant::start("Anna", cfg(Entry::Host, "Anna", Some(rec.path().to_owned())));
    anna.wait(10, "joined", |e| matches!(e, MeetingEvent::Joined { .. })).await;
    let mut bo = Participant::start("Bo", cfg(Entry::Join, "Bo", None));
    bo.wait(10, "in lobby", |e| matches!(e, MeetingEvent::InLobby)).await;
    let bo_id = anna.admit_next().await;
    bo.wait(10, "joined", |e| matches!(e, MeetingEvent::Joined { .. })).await;
    let mut cai = Participant::start("Cai", cfg(Entry::Join, "Cai", None));
    let cai_id = anna.admit_next().await;
    cai.wait(10, "joined", |e| matches!(e, MeetingEvent::Joined { .. })).await;

    // Everyone sees and hears the two others, encrypted, with one security code.
    sees(&mut anna, 2).await;
    sees(&mut bo, 2).await;
    sees(&mut cai, 2).await;
    let codes: Vec<_> = [&anna, &bo, &cai].iter().map(|p| p.security_code().expect("keyed")).collect();
    assert!(codes.iter().all(|c| c == &codes[0]), "security codes differ: {codes:?}");
    assert_eq!(codes[0].0, 2, "two admissions, two epochs after the host's own");

    // Anna removes Cai: Cai is told, the others lose it and get a new epoch without it.
    anna.meeting.command(MeetingCommand::Remove(cai_id));
    cai.wait(10, "removed", |e| matches!(e, MeetingEvent::Removed)).await;
    // The host removes Cai in the group before it asks the server: the new epoch comes first.
    bo.wait(10, "epoch 3", |e| matches!(e, MeetingEvent::SecurityCode { epoch: 3, members: 2, .. })).await;
    bo.wait(
        10,
        "Cai left",
        |e| matches!(e, MeetingEvent::ParticipantLeft { member, reason: LeaveReason::Removed } if *member == cai_id),
    )
    .await;

    // A locked meeting refuses a new knock.
    anna.meeting.command(MeetingCommand::Lock(true));
    bo.wait(10, "locked", |e| matches!(e, MeetingEvent::Locked { locked: true })).await;
    let mut dag = Participant::start("Dag", cfg(Entry::Join, "Dag", None));
    dag.wait(10, "room locked", |e| matches!(e, MeetingEvent::RoomLocked)).await;
    anna.meeting.command(MeetingCommand::Lock(false));
    bo.wait(10, "unlocked", |e| matches!(e, MeetingEvent::Locked { locked: false })).await;

    // Anna leaves: Bo becomes host, in the room and in the group.
    anna.meeting.leave();
    anna.wait(10, "left", |e| matches!(e, MeetingEvent::Left)).await;
    let bo_me = bo.me().unwrap();
    assert_eq!(bo_me, bo_id);
    bo.wait(
        10,
        "host role",
        |e| matches!(e, MeetingEvent::RoleChanged { member, role: Role::Host } if *member == bo_me),
    )
    .await;

    // The new host admits Eli, who gets the keys from Bo.
    let mut eli = Participant::start("Eli", cfg(Entry::Join, "Eli", None));
    bo.admit_next().await;
    eli.wait(10, "keys", |e| matches!(e, MeetingEvent::SecurityCode { .. })).await;
    sees(&mut eli, 1).await;
    sees(&mut bo, 1).await;
    let (b, e) = (bo.security_code().unwrap(), eli.security_code().unwrap());
    assert_eq!(b, e, "Bo and Eli agree on the keys");

    // End for all.
    bo.meeting.command(MeetingCommand::EndForAll);
    eli.wait(10, "ended", |e| matches!(e, MeetingEvent::Ended)).await;
    bo.wait(10, "ended", |e| matches!(e, MeetingEvent::Ended | MeetingEvent::Left)).await;

    // Anna's recordings prove she received both others' audio and video.
    let files: HashMap<String, u64> = std::fs::read_dir(rec.path())
        .unwrap()
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.metadata().unwrap().len()))
        .collect();
    for who in [&bo_id, &cai_id] {
        let y4m = rec.path().join(format!("{who}.y4m"));
        let mut r =
            trygg::media::y4m::Y4mReader::new(std::io::BufReader::new(std::fs::File::open(&y4m).unwrap())).unwrap();
        let mut stamped = 0;
        while let Some(f) = r.read_frame().unwrap() {
            stamped += usize::from(trygg::media::pixel_stamp::read(&f).is_some());
        }
        assert!(stamped > 20, "{who}: {stamped} stamped pictures recorded ({files:?})");
        let wav =
            trygg::media::wav::Wav::parse(&std::fs::read(rec.path().join(format!("{who}.wav"))).unwrap()).unwrap();
        let n = wav.samples.len();
        assert!(n > 24_000, "{who}: {n} samples");
        assert_eq!(trygg::media::analysis::dominant_frequency(&wav.samples[n / 2 - 6_000..n / 2 + 6_000]), 440.0);
    }
    server.shutdown().await;
}
