# Run from GitHub Actions with `permissions: id-token: write` (examples/pipelines/
# github-actions.yml) or from Azure DevOps (examples/pipelines/azure-pipelines.yml). The
# pipeline's OIDC token signs the provider in as the "deployer" app (which has a federated
# credential for the repository or service connection); the provider then makes the "api"
# app trust the runtime's managed identity.
terraform {
  required_providers {
    entra = {
      source = "registry.terraform.io/entra-mi/entra"
    }
  }
}

variable "tenant_id" {
  type = string
}

variable "deployer_client_id" {
  type        = string
  description = "The app that trusts this repository's GitHub Actions tokens."
}

variable "api_application_object_id" {
  type = string
}

variable "runtime_identity_principal_id" {
  type        = string
  description = "Principal (object) id of the user-assigned identity the workload runs as."
}

# The token request comes from the environment: ACTIONS_ID_TOKEN_REQUEST_URL and
# ACTIONS_ID_TOKEN_REQUEST_TOKEN (GitHub's runner sets them), or ARM_OIDC_REQUEST_URL and
# SYSTEM_ACCESSTOKEN (mapped in the Azure DevOps step).
provider "entra" {
  tenant_id = var.tenant_id
  client_id = var.deployer_client_id
  use_oidc  = true
}

resource "entra_mi_federated_credential" "runtime" {
  application_object_id         = var.api_application_object_id
  name                          = "runtime-identity"
  managed_identity_principal_id = var.runtime_identity_principal_id
}
