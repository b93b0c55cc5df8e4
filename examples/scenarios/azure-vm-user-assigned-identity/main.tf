# On an Azure VM with a user-assigned identity: the identity is trusted by the "reports" app,
# and Terraform running on the VM reads the app's Storage token through that trust.
# The identity's ids usually come from azurerm_user_assigned_identity.<name>.principal_id /
# .client_id (see "Finding the principal id" in the provider's documentation).
terraform {
  required_version = ">= 1.10"
  required_providers {
    entra = {
      source = "registry.terraform.io/entra-mi/entra"
    }
  }
}

variable "tenant_id" {
  type = string
}

variable "reports_app_object_id" {
  type        = string
  description = "The reports app registration's object id (not its client id)."
}

variable "vm_identity_principal_id" {
  type        = string
  description = "The VM identity's principal (object) id: the subject of its tokens."
}

variable "vm_identity_client_id" {
  type        = string
  description = "The VM identity's client id: which identity IMDS signs in as."
}

# Signs in to Graph as the VM's identity (IMDS). The identity needs the Graph application
# permission Application.ReadWrite.OwnedBy and must be an owner of the reports app (or hold
# Application.ReadWrite.All); Application.Read.All lets plan check the principal id.
provider "entra" {
  tenant_id     = var.tenant_id
  use_msi       = true
  msi_client_id = var.vm_identity_client_id
}

resource "entra_mi_federated_credential" "vm" {
  application_object_id         = var.reports_app_object_id
  name                          = "reports-vm"
  managed_identity_principal_id = var.vm_identity_principal_id
}

# Terraform opens ephemeral resources during plan whenever their arguments are known. The
# client id comes from the credential: unknown until it exists, so on the first run the
# token is requested at apply, once the trust is in place (a client id from a variable,
# even with depends_on, would be exchanged at plan and refused with AADSTS700211).
# Use the token where ephemeral values are accepted: a provider block, a write-only
# argument, or a local-exec provisioner's environment.
ephemeral "entra_mi_access_token" "storage" {
  client_id = entra_mi_federated_credential.vm.application_client_id
  scopes    = ["https://storage.azure.com/.default"]
}
