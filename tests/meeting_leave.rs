//! A participant who leaves is told as a departure, not as an error: the server refuses the
//! relays still on their way to them (`room.unknown_member`), and that refusal is nobody's
//! business but the log's.

mod common;

#[test]
fn a_participant_leaving_gives_the_others_no_error() {
    let mut anna = common::process::Proc::host("anna", &["--video", "synthetic", "--seconds", "20"], &[]);
    let link = anna.wait(10.0, "link", |v| v["type"] == "link")["link"].as_str().unwrap().to_owned();
    let mut bo = common::process::Proc::join("bo", &link, &["--video", "synthetic", "--seconds", "4"]);
    bo.wait(15.0, "Anna's video", |v| v["type"] == "first_remote_video");
    anna.wait(15.0, "Bo's departure", |v| v["type"] == "participant_left");
    // Two more seconds of Anna's meeting: stats ticks, a new security code, and no error.
    let error = anna.try_wait(2.0, &|v| v["type"] == "error");
    assert!(error.is_none(), "Anna was shown an error after Bo left: {error:?}");
}
