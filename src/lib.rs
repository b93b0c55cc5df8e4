//! terraform-provider-entra: a Terraform/OpenTofu provider (tfplugin5) for Microsoft Entra ID
//! "managed identity as federated identity credential".
//!
//! The modules follow the layers a request crosses (ARCHITECTURE.md has the picture):
//!
//! - [`transport`]: go-plugin handshake, AutoMTLS, the gRPC side services (controller,
//!   stdio, broker, health) and the server loop. Knows nothing about Terraform values.
//! - [`proto`]: code generated from `proto/` (tfplugin5 5.10, go-plugin, grpc health).
//! - [`cloud`]: Azure clouds and the hosts and audiences each uses (shared by rules and entra).
//! - [`codec`]: cty types and values, and their msgpack / JSON wire encodings.
//! - [`framework`]: a small provider framework: typed schemas, diagnostics with attribute
//!   paths, traits for resources / data sources / ephemeral resources / functions, and the
//!   dispatch of every tfplugin5 RPC onto them (plan/apply semantics live here).
//! - [`logging`]: hclog-style JSON lines on stderr with a redaction layer for secrets.
//! - [`rules`]: Entra's rules for federated identity credentials and token requests as
//!   plain functions. The provider's plan-time checks and the emulator both call them.
//! - [`entra`]: the Entra side: the Graph client, sign-in (`entra::signin`, one type per
//!   sign-in method, a chain on top), managed identity sources, retry and polling
//!   (`entra::retry`) and the token exchange.
//! - [`provider`]: the `entra` provider itself: its configuration, the resource
//!   `entra_mi_federated_credential` and `entra_mi_access_token` (data source + ephemeral).
//!
//! `entra-emulator`, the local Entra ID + Graph + managed identity endpoint, is a crate of
//! its own (`crates/entra-emulator`) that uses [`rules`] and [`cloud`] from this one.

pub mod cloud;
pub mod codec;
pub mod entra;
pub mod framework;
pub mod logging;
pub mod per_key;
pub mod proto;
pub mod provider;
pub mod rules;
pub mod transport;
