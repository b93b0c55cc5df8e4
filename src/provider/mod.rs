//! The `entra` provider: configuration, `entra_mi_federated_credential`, and
//! `entra_mi_access_token` (data source and ephemeral resource).

use crate::framework::Server;

/// The gRPC service the plugin binary serves.
pub fn new_server() -> Server {
    Server::default()
}
