# On an Azure VM with a user-assigned identity: the identity is trusted by the "reports" app,
# and Terraform running on the VM reads the app's Storage token through that trust.
# The identity's principal and client ids usually come from
# azurerm_user_assigned_identity.<name>.principal_id / .client_id.
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

variable "reports_app_client_id" {
  type = string
}

variable "vm_identity_principal_id" {
  type = string
}

variable "vm_identity_client_id" {
  type = string
}

# Signs in to Graph as the VM's identity (IMDS), which needs Application.ReadWrite.OwnedBy.
provider "entra" {
  tenant_id     = var.tenant_id
  use_msi       = true
  client_id     = var.vm_identity_client_id
  msi_client_id = var.vm_identity_client_id
}

resource "entra_mi_federated_credential" "vm" {
  application_client_id         = var.reports_app_client_id
  name                          = "reports-vm"
  managed_identity_principal_id = var.vm_identity_principal_id
}

ephemeral "entra_mi_access_token" "storage" {
  client_id = var.reports_app_client_id
  scopes    = ["https://storage.azure.com/.default"]

  depends_on = [entra_mi_federated_credential.vm]
}
