//! The provider binary Terraform starts.

use std::process::ExitCode;

fn main() -> ExitCode {
    terraform_provider_entra::logging::init();
    terraform_provider_entra::transport::run_plugin_main(
        terraform_provider_entra::provider::new_server(),
    )
}
