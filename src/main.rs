//! The `trygg` command line: headless meetings, devices, demos and benchmarks.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
