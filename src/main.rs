//! The `flock` binary.

fn main() -> std::process::ExitCode {
    flock::cli::main()
}
