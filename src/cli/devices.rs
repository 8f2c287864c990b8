//! `trygg devices`

use std::process::ExitCode;

use trygg::media::devices::{AudioDevice, list_all};

/// Options of `trygg devices`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

fn print_audio(title: &str, devices: &[AudioDevice]) {
    if devices.is_empty() {
        println!("{title}: none found");
        return;
    }
    println!("{title}:");
    for d in devices {
        let default = if d.is_default { " (default)" } else { "" };
        println!("  {}{default}  [id: {}]", d.name.lines().next().unwrap_or(&d.name), d.id);
        println!("      {}", d.formats);
    }
}

pub fn run(args: Args) -> ExitCode {
    let list = list_all();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&list).expect("device lists serialize"));
        return ExitCode::SUCCESS;
    }
    if list.cameras.is_empty() {
        println!("cameras: none found");
    } else {
        println!("cameras:");
        for c in &list.cameras {
            println!("  {}  [id: {}]", c.name, c.id);
            for f in &c.formats {
                println!("      {f}");
            }
        }
    }
    print_audio("microphones", &list.microphones);
    print_audio("speakers", &list.speakers);
    if list.share.is_empty() {
        println!("screens and windows to share: none found");
    } else {
        println!("screens and windows to share:");
        for s in &list.share {
            println!("  {}  {}x{}  [--video {}]", s.name, s.width, s.height, s.id);
        }
    }
    for p in &list.problems {
        println!("note: {p}");
    }
    ExitCode::SUCCESS
}
