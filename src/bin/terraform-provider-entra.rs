//! The provider binary Terraform starts. By hand: `--help`, `--version`, and `--debug`
//! (serve for a debugger, with Terraform attached through `TF_REATTACH_PROVIDERS`).

use std::process::ExitCode;

/// What `--help` prints.
fn usage() -> String {
    format!(
        "terraform-provider-entra {version}: the Terraform provider {source}

A Terraform plugin: `terraform init` installs it and Terraform starts it; run by hand it
only answers the options below. Configure it in a `provider \"entra\"` block; docs:
https://registry.terraform.io/providers/entra-mi/entra/latest/docs

Usage: terraform-provider-entra [--help | --version | --debug]

  --help      print this text and exit
  --version   print `terraform-provider-entra {version}` and exit
  --debug     serve for a debugger instead of being started by Terraform: listen on
              127.0.0.1 without TLS and print

                TF_REATTACH_PROVIDERS='{{\"{source}\":{{...}}}}'

              Export that variable in another shell and run terraform there (init, plan,
              apply): Terraform uses this process instead of starting the plugin, so a
              debugger attached to it stops at its breakpoints. Ctrl-C or SIGTERM ends it.

Logs: TF_LOG_PROVIDER=debug terraform plan (with TF_LOG_PATH=FILE to keep them); tokens
and secrets are redacted from every log line.
",
        version = env!("CARGO_PKG_VERSION"),
        source = terraform_provider_entra::transport::SOURCE_ADDRESS,
    )
}

fn main() -> ExitCode {
    if std::env::args()
        .skip(1)
        .any(|a| matches!(a.as_str(), "--help" | "-help" | "-h" | "help"))
    {
        print!("{}", usage());
        return ExitCode::SUCCESS;
    }
    terraform_provider_entra::logging::init();
    terraform_provider_entra::transport::run_plugin_main(
        terraform_provider_entra::provider::new_server(),
    )
}
