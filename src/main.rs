//! The `teller` binary.

fn main() -> std::process::ExitCode {
    teller::cli::main()
}
