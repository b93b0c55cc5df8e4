terraform {
  required_providers {
    entra = {
      source = "registry.terraform.io/entra-mi/entra"
    }
  }
}

provider "entra" {
  tenant_id     = "00000000-0000-0000-0000-000000000000"
  msi_client_id = "22222222-2222-2222-2222-222222222222"
}

# Prefer the ephemeral resource: this data source stores the token in state.
data "entra_mi_access_token" "storage" {
  client_id = "11111111-1111-1111-1111-111111111111"
  scopes    = ["https://storage.azure.com/.default"]
}

output "token_audience" {
  value = data.entra_mi_access_token.storage.claims["aud"]
}
