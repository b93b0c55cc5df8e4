terraform {
  required_providers {
    entra = {
      source = "registry.terraform.io/entra-mi/entra"
    }
  }
}

# Reading service principals for the identity check needs Application.Read.All or
# Directory.Read.All; without it the check is skipped with a warning.
provider "entra" {
  tenant_id = "00000000-0000-0000-0000-000000000000"
}
