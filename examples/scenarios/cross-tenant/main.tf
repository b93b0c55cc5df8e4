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
  type = string
}

variable "multi_tenant_app_object_id" {
  type = string
}

variable "multi_tenant_app_client_id" {
  type = string
}

variable "identity_principal_id" {
  type = string
}

variable "identity_client_id" {
  type = string
}

provider "entra" {
  tenant_id     = var.home_tenant_id
  msi_client_id = var.identity_client_id
}

# The issuer is the home tenant's: the managed identity's token is issued there.
resource "entra_mi_federated_credential" "partner_access" {
  application_object_id         = var.multi_tenant_app_object_id
  name                          = "partner-access"
  managed_identity_principal_id = var.identity_principal_id
}

ephemeral "entra_mi_access_token" "partner_graph" {
  client_id = var.multi_tenant_app_client_id
  tenant_id = var.partner_tenant_id
  scopes    = ["https://graph.microsoft.com/.default"]

  depends_on = [entra_mi_federated_credential.partner_access]
}
