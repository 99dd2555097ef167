//! callfloor's binary: parse the command line, run the mode, report errors as one clear sentence.

fn main() -> std::process::ExitCode {
    match callfloor::cli::main() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // The reader went away (`callfloor tail | head`): stop quietly, as other Unix tools do.
        Err(e) if e.chain().any(is_broken_pipe) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let mut msg = format!("callfloor: {e}");
            for cause in e.chain().skip(1) {
                msg.push_str(&format!(": {cause}"));
            }
            eprintln!("{msg}");
            std::process::ExitCode::from(2)
        }
    }
}

/// Whether an error in a chain is a write to a closed pipe, whichever writer (plain, JSON, CSV) met it.
fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    if let Some(io) = e.downcast_ref::<std::io::Error>() {
        return io.kind() == BrokenPipe;
    }
    if let Some(json) = e.downcast_ref::<serde_json::Error>() {
        return json.io_error_kind() == Some(BrokenPipe);
    }
    if let Some(csv) = e.downcast_ref::<csv::Error>() {
        return matches!(csv.kind(), csv::ErrorKind::Io(io) if io.kind() == BrokenPipe);
    }
    false
}
