//! Compiles the protocol definitions in `proto/` with protox (pure Rust), so a fresh
//! machine needs no `protoc`. Server stubs answer `Unimplemented` for RPCs we do not override, which Terraform
//! tolerates for optional calls.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/tfplugin5.proto",
        "proto/grpc_controller.proto",
        "proto/grpc_stdio.proto",
        "proto/grpc_broker.proto",
        "proto/health.proto",
    ];
    for f in files {
        println!("cargo:rerun-if-changed={f}");
    }
    // Terraform's protocol: server side only.
    let tfplugin = protox::compile(["proto/tfplugin5.proto"], ["proto"])?;
    tonic_prost_build::configure()
        .build_client(false)
        .build_server(true)
        .generate_default_stubs(true)
        .compile_fds(tfplugin)?;
    // go-plugin's side services: clients too, so the handshake tests can call
    // Health and Shutdown like Terraform does.
    let side = protox::compile(&files[1..], ["proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .generate_default_stubs(true)
        .compile_fds(side)?;
    Ok(())
}
