# Every credential that lets the "deploy" managed identity act as an application:
# "which applications can this identity act as?"
list "entra_mi_federated_credential" "trusting_deploy" {
  provider = entra
  config {
    managed_identity_principal_id = "22222222-2222-2222-2222-222222222222"
  }
}

# Every credential of one application, whatever its issuer, with the state an import would
# give (for `terraform query -generate-config-out=generated.tf`).
list "entra_mi_federated_credential" "workload" {
  provider         = entra
  include_resource = true
  config {
    application_object_id = "33333333-3333-3333-3333-333333333333"
  }
}

# The whole tenant: credentials with an Entra issuer (all_issuers = true for every issuer),
# at most 100.
list "entra_mi_federated_credential" "tenant" {
  provider = entra
  limit    = 100
  config {}
}
