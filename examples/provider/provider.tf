terraform {
  required_providers {
    entra = {
      source = "registry.terraform.io/entra-mi/entra"
    }
  }
}

# Everything can come from the environment (ARM_TENANT_ID, ARM_CLIENT_ID, ARM_USE_OIDC, ...).
provider "entra" {
  tenant_id = "00000000-0000-0000-0000-000000000000"
}
