//! The provider binary Terraform starts.

fn main() {
    eprintln!("terraform-provider-entra: not wired yet");
    std::process::exit(1);
}
