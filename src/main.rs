//! callfloor's binary: parse the command line, run the mode, report errors as one clear sentence.

fn main() -> std::process::ExitCode {
    match callfloor::cli::main() {
        Ok(()) => std::process::ExitCode::SUCCESS,
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
