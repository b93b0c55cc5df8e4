//! Azure clouds ("environments") and the hosts and audiences each one uses.
//!
//! The token exchange audience differs per cloud, and the issuer of a managed identity
//! token is the cloud's sign-in host: getting either wrong fails the exchange with
//! AADSTS700212 / 700211, so both derive from one table.

/// One Azure cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cloud {
    #[default]
    Public,
    UsGovernment,
    UsGovernmentDod,
    China,
}

impl Cloud {
    pub const ALL: [Cloud; 4] = [
        Cloud::Public,
        Cloud::UsGovernment,
        Cloud::UsGovernmentDod,
        Cloud::China,
    ];

    /// Parses the provider's `environment` value (and `ARM_ENVIRONMENT`), with azuread's
    /// aliases. Case-insensitive.
    pub fn from_name(name: &str) -> Option<Cloud> {
        match name.trim().to_ascii_lowercase().as_str() {
            "public" | "global" => Some(Cloud::Public),
            "usgovernment" | "usgovernmentl4" => Some(Cloud::UsGovernment),
            "dod" | "usgovernmentl5" => Some(Cloud::UsGovernmentDod),
            "china" => Some(Cloud::China),
            _ => None,
        }
    }

    /// The accepted spellings, for error messages.
    pub const NAMES: &'static [&'static str] = &[
        "public",
        "global",
        "usgovernment",
        "usgovernmentl4",
        "dod",
        "usgovernmentl5",
        "china",
    ];

    pub fn name(self) -> &'static str {
        match self {
            Cloud::Public => "public",
            Cloud::UsGovernment => "usgovernment",
            Cloud::UsGovernmentDod => "dod",
            Cloud::China => "china",
        }
    }

    /// Where sign-in requests go, and the host in every Entra issuer of this cloud.
    pub fn authority_host(self) -> &'static str {
        match self {
            Cloud::Public => "https://login.microsoftonline.com",
            Cloud::UsGovernment | Cloud::UsGovernmentDod => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
        }
    }

    pub fn graph_endpoint(self) -> &'static str {
        match self {
            Cloud::Public => "https://graph.microsoft.com",
            Cloud::UsGovernment => "https://graph.microsoft.us",
            Cloud::UsGovernmentDod => "https://dod-graph.microsoft.us",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }

    /// The audience a managed identity token must carry to be exchanged.
    pub fn token_exchange_audience(self) -> &'static str {
        match self {
            Cloud::Public => "api://AzureADTokenExchange",
            Cloud::UsGovernment | Cloud::UsGovernmentDod => "api://AzureADTokenExchangeUSGov",
            Cloud::China => "api://AzureADTokenExchangeChina",
        }
    }

    /// The Entra v2 issuer of tokens this cloud issues for `tenant`:
    /// `https://{sign-in host}/{tenant}/v2.0`.
    pub fn entra_issuer(self, tenant: &str) -> String {
        format!("{}/{}/v2.0", self.authority_host(), tenant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases() {
        for (name, cloud) in [
            ("public", Cloud::Public),
            ("Global", Cloud::Public),
            ("usgovernment", Cloud::UsGovernment),
            ("usgovernmentl4", Cloud::UsGovernment),
            ("dod", Cloud::UsGovernmentDod),
            ("usgovernmentl5", Cloud::UsGovernmentDod),
            ("china", Cloud::China),
        ] {
            assert_eq!(Cloud::from_name(name), Some(cloud), "{name}");
        }
        assert_eq!(Cloud::from_name("mars"), None);
        for name in Cloud::NAMES {
            assert!(Cloud::from_name(name).is_some());
        }
    }

    #[test]
    fn issuer_and_audience_per_cloud() {
        assert_eq!(
            Cloud::Public.entra_issuer("t"),
            "https://login.microsoftonline.com/t/v2.0"
        );
        assert_eq!(
            Cloud::China.token_exchange_audience(),
            "api://AzureADTokenExchangeChina"
        );
        assert_eq!(
            Cloud::UsGovernmentDod.token_exchange_audience(),
            "api://AzureADTokenExchangeUSGov"
        );
    }
}
