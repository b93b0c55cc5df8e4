terraform {
  required_version = ">= 1.10"
  required_providers {
    entra = {
      source = "registry.terraform.io/entra-mi/entra"
    }
  }
}

provider "entra" {
  tenant_id = "00000000-0000-0000-0000-000000000000"
}

# Never written to state or plan files.
ephemeral "entra_mi_access_token" "graph" {
  client_id                  = "11111111-1111-1111-1111-111111111111"
  scopes                     = ["https://graph.microsoft.com/.default"]
  managed_identity_client_id = "22222222-2222-2222-2222-222222222222"
}

# Sign in to Graph as the app through the managed identity, with no secret.
provider "entra" {
  alias        = "as_app"
  access_token = ephemeral.entra_mi_access_token.graph.access_token
}
