# The quickstart: against entra-emulator (see run.sh), the "quickstart-workload" app comes to
# trust the user-assigned identity "deploy"; then the app's token is obtained through that
# trust, with no secret, as a data source and as an ephemeral resource.
terraform {
  required_version = ">= 1.10"
  required_providers {
    entra = {
      source = "registry.terraform.io/entra-mi/entra"
    }
  }
}

variable "emulator_url" {
  type        = string
  description = "entra-emulator's base URL, e.g. http://127.0.0.1:8400."
}

locals {
  tenant_id             = "6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01"
  workload_object_id    = "0a1d7c3e-1f2a-4b5c-8d9e-0f1a2b3c4d02"
  workload_client_id    = "c11e0002-5a6b-4c7d-8e9f-0a1b2c3d4e02"
  deploy_principal_id   = "b0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1"
  deploy_client_id      = "d0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1"
  build_principal_id    = "b0000002-2b3c-4d5e-8f90-a1b2c3d4e5f2"
  graph_scope           = "https://graph.microsoft.com/.default"
}

# The administrator's sign-in: a client secret known to the emulator's seed.
provider "entra" {
  tenant_id      = local.tenant_id
  client_id      = "c11e0001-5a6b-4c7d-8e9f-0a1b2c3d4e01"
  client_secret  = "quickstart-admin-secret"
  msi_client_id  = local.deploy_client_id
  authority_host = var.emulator_url
  graph_endpoint = var.emulator_url
  msi_endpoint   = "${var.emulator_url}/metadata/identity/oauth2/token"
}

# 1. The trust: the workload app accepts the deploy identity's tokens.
resource "entra_mi_federated_credential" "deploy" {
  application_object_id         = local.workload_object_id
  name                          = "deploy-identity"
  managed_identity_principal_id = local.deploy_principal_id
  description                   = "Created by the entra provider quickstart"
}

# 2a. The app's token through the trust, as a data source (stored in state: prefer 2b).
data "entra_mi_access_token" "workload" {
  client_id = local.workload_client_id
  scopes    = [local.graph_scope]

  depends_on = [entra_mi_federated_credential.deploy]
}

# 2b. The same as an ephemeral resource: never written to state or plan files. Here it signs
# a second provider block in to Graph as the workload app itself...
#
# Ephemeral resources are opened during plan as well, so its client_id comes from the
# credential: unknown until the credential exists, which defers the token (and the aliased
# provider) to apply on the first run.
ephemeral "entra_mi_access_token" "workload" {
  client_id = entra_mi_federated_credential.deploy.application_client_id
  scopes    = [local.graph_scope]
}

provider "entra" {
  alias          = "as_workload"
  access_token   = ephemeral.entra_mi_access_token.workload.access_token
  graph_endpoint = var.emulator_url
}

# ...which then lets the build identity in too.
resource "entra_mi_federated_credential" "build" {
  provider = entra.as_workload

  application_object_id         = local.workload_object_id
  name                          = "build-identity"
  managed_identity_principal_id = local.build_principal_id
  issuer                        = entra_mi_federated_credential.deploy.issuer
}

output "credential_id" {
  value = entra_mi_federated_credential.deploy.credential_id
}

output "issuer" {
  value = entra_mi_federated_credential.deploy.issuer
}

output "token_claims" {
  description = "The workload app's token, obtained through the managed identity's federated trust: its stable, non-secret claims (the expiry changes on every read, so it is left out to keep the second plan empty)."
  value       = { for k, v in data.entra_mi_access_token.workload.claims : k => v if k != "exp" }
}
