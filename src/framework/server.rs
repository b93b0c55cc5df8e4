//! The tfplugin5 `Provider` service: decodes each request, calls the provider's code and
//! encodes the answer.

use crate::proto::tfplugin5::provider_server::Provider as ProviderService;

/// The gRPC face of a provider. Every RPC is dispatched onto the framework's traits.
#[derive(Default)]
pub struct Server {}

#[tonic::async_trait]
impl ProviderService for Server {}
