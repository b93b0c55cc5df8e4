//! The emulator binary.

fn main() {
    eprintln!("entra-emulator: not wired yet");
    std::process::exit(1);
}
