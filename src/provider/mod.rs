//! The `entra` provider: configuration, `entra_mi_federated_credential`, and
//! `entra_mi_access_token` (data source and ephemeral resource).
