//! The `flock` binary.

fn main() -> std::process::ExitCode {
    // The remote agent starts before anything else (no runtime, no argument parser).
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == flock::agent::AGENT_ARG) {
        return std::process::ExitCode::from(flock::agent::main(&args[2..]) as u8);
    }
    if args
        .get(1)
        .is_some_and(|a| a == flock::agent::facts::FACTS_ARG)
    {
        return flock::agent::facts::print();
    }
    flock::cli::main()
}
