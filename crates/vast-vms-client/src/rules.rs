//! What a VAST release's VMS API requires of a client, chosen from the cluster's `sw_version`.
//!
//! Read from VAST's published OpenAPI schemas (5.3: shipped in
//! `vast-data/terraform-provider-vastdata`; 5.5: in `vast-data/go-vast-client`). Only the
//! rules that change what a client must send live here; differences a client simply tolerates
//! on every release (a token refresh without `refresh`, a plain-string answer to an API-token
//! revoke) are handled where the answer is read.

use std::fmt;

/// The set of VMS API rules a client follows for one cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiProfile {
    /// VAST up to 5.4: a local user needs only a name; VAST's built-in
    /// `s3_default_policy` (default tenant) may serve views of any tenant.
    V5_3,
    /// VAST 5.5 and later, and any version that cannot be read: a local user is created in
    /// its tenant's local provider (`local_provider_id` required; `tenant_id` is not a user
    /// field), and a view's policy must belong to the view's tenant (or to none).
    V5_5,
}

impl ApiProfile {
    /// The profile for a cluster reporting `sw_version` (`/clusters/`, e.g. `5.3.1.0.1`).
    /// Versions below 5.5 get [`ApiProfile::V5_3`]; 5.5 and later, and a missing or unreadable
    /// version, the stricter [`ApiProfile::V5_5`] (its requests are valid on 5.3 too).
    pub fn for_version(sw_version: Option<&str>) -> Self {
        match sw_version.and_then(major_minor) {
            Some(version) if version < (5, 5) => ApiProfile::V5_3,
            _ => ApiProfile::V5_5,
        }
    }

    /// The release the profile is named after (`5.3`, `5.5`).
    pub fn release(self) -> &'static str {
        match self {
            ApiProfile::V5_3 => "5.3",
            ApiProfile::V5_5 => "5.5",
        }
    }

    /// `POST /users/` must name the tenant's local provider (`local_provider_id`).
    pub fn user_requires_local_provider(self) -> bool {
        self == ApiProfile::V5_5
    }

    /// A view's policy must belong to the view's tenant (a policy of no tenant serves all).
    pub fn view_policy_in_view_tenant(self) -> bool {
        self == ApiProfile::V5_5
    }

    /// The rules in words, one per line, for administrators (`vast-ost check`).
    pub fn rules(self) -> Vec<&'static str> {
        let mut rules = vec![
            "users are created without tenant_id (not a user field)",
            "API-token revoke and modify may answer any 2xx body",
            "a token refresh may answer without a refresh token (the current one is kept)",
        ];
        if self.user_requires_local_provider() {
            rules.push("users are created in the tenant's local provider (local_provider_id)");
        } else {
            rules.push("users name the tenant's local provider when the tenant shows one");
        }
        if self.view_policy_in_view_tenant() {
            rules.push("bucket views use a view policy of the plugin's tenant");
        } else {
            rules.push("bucket views may use the default tenant's s3_default_policy");
        }
        rules
    }
}

impl fmt::Display for ApiProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VAST {} rules", self.release())
    }
}

/// `(major, minor)` of a version like `5.3.1.0.1` or `release-5.5.0`.
fn major_minor(version: &str) -> Option<(u32, u32)> {
    let start = version.find(|c: char| c.is_ascii_digit())?;
    let mut parts = version[start..].split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cluster_version_picks_the_rules() {
        assert_eq!(ApiProfile::for_version(Some("5.3.1.0.1")), ApiProfile::V5_3);
        assert_eq!(ApiProfile::for_version(Some("5.4.2")), ApiProfile::V5_3);
        assert_eq!(ApiProfile::for_version(Some("4.7.0")), ApiProfile::V5_3);
        assert_eq!(ApiProfile::for_version(Some("5.5.0.0.1")), ApiProfile::V5_5);
        assert_eq!(ApiProfile::for_version(Some("6.0")), ApiProfile::V5_5);
        // Unknown: the stricter rules, whose requests every release accepts.
        assert_eq!(ApiProfile::for_version(None), ApiProfile::V5_5);
        assert_eq!(ApiProfile::for_version(Some("dev")), ApiProfile::V5_5);
        assert!(ApiProfile::V5_5.user_requires_local_provider());
        assert!(!ApiProfile::V5_3.view_policy_in_view_tenant());
    }
}
