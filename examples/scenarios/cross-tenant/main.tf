# Cross-tenant: a multi-tenant app registered in the home tenant trusts the home tenant's
# managed identity (identity and app must be in the same tenant), and is provisioned in a
# partner tenant. The token is requested from the partner (resource) tenant.
terraform {
  required_version = ">= 1.10"
  required_providers {
    entra = {
      source = "registry.terraform.io/entra-mi/entra"
    }
  }
}

variable "home_tenant_id" {
  type = string
}

variable "partner_tenant_id" {
  type        = string
  description = "A tenant the multi-tenant app is provisioned (consented) in."
}

variable "multi_tenant_app_object_id" {
  type        = string
  description = "The multi-tenant app registration's object id in the home tenant."
}

variable "identity_principal_id" {
  type = string
}

variable "identity_client_id" {
  type = string
}

# Runs where the identity is assigned (an Azure VM, App Service, ...) and signs in to Graph
# as the identity: it needs Application.ReadWrite.OwnedBy and to own the app (or
# Application.ReadWrite.All). msi_client_id is also the identity the token below uses.
provider "entra" {
  tenant_id     = var.home_tenant_id
  use_msi       = true
  msi_client_id = var.identity_client_id
}

# The issuer is the home tenant's: the managed identity's token is issued there.
resource "entra_mi_federated_credential" "partner_access" {
  application_object_id         = var.multi_tenant_app_object_id
  name                          = "partner-access"
  managed_identity_principal_id = var.identity_principal_id
}

# client_id comes from the credential, so on the first run the token is requested at apply,
# after the credential exists, not during plan (where Entra would refuse it: AADSTS700211).
ephemeral "entra_mi_access_token" "partner_graph" {
  client_id = entra_mi_federated_credential.partner_access.application_client_id
  tenant_id = var.partner_tenant_id
  scopes    = ["https://graph.microsoft.com/.default"]
}
