terraform {
  required_providers {
    entra = {
      source = "registry.terraform.io/entra-mi/entra"
    }
  }
}

provider "entra" {
  tenant_id = "00000000-0000-0000-0000-000000000000"
}

# The app registration "ci" trusts the user-assigned identity "deploy".
resource "entra_mi_federated_credential" "deploy" {
  application_object_id         = "33333333-3333-3333-3333-333333333333"
  name                          = "deploy-identity"
  managed_identity_principal_id = "44444444-4444-4444-4444-444444444444"
  description                   = "Pipelines running as the deploy identity act as the ci app"

  timeouts {
    create = "10m"
  }
}
