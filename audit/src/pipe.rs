//! Output to a closed pipe (`teller-audit verify record.json | head -1`).
//!
//! Rust ignores `SIGPIPE`, so printing to a pipe whose reader has gone
//! fails, and `println!` panics on the failure. A command-line tool should
//! stop quietly instead, as one killed by `SIGPIPE` does: exit status 141
//! (128 + 13), no message. Used by `teller` and `teller-audit`.

/// Status of a process ended by `SIGPIPE`.
pub const BROKEN_PIPE_STATUS: i32 = 141;

/// Install the panic hook that turns "failed printing to stdout: Broken
/// pipe" into a quiet exit with [`BROKEN_PIPE_STATUS`]; every other panic
/// is reported as before.
pub fn exit_quietly_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(BROKEN_PIPE_STATUS);
        }
        default(info);
    }));
}
