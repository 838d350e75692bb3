//! Release profiles: the rules of one VAST release's VMS API that the simulator enforces.
//!
//! Each rule is read from VAST's published OpenAPI schema of that release (5.3: the schema in
//! `vast-data/terraform-provider-vastdata`; 5.5: the one in `vast-data/go-vast-client`); where
//! the schema is silent the choice is listed in `docs/vast-sim.md`. The VMS face asks the
//! profile (`SimConfig::profile`) and never compares version strings itself.

use std::fmt;
use std::str::FromStr;

/// Which VAST release the simulated VMS answers as.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Profile {
    /// VAST 5.3: `POST /users/` needs only `name`; every tenant shares the seeded local
    /// provider; a view may use a view policy of any tenant; a token refresh rotates both
    /// tokens. The default: the simulator has always answered as 5.3, and raw-HTTP tests and
    /// third-party clients (vastpy, the AWS CLI) written against it keep working unchanged.
    #[default]
    V5_3,
    /// VAST 5.5: `POST /users/` also needs `local_provider_id`; each tenant has a local
    /// provider of its own (made with the tenant, never shared); a view's tenant must be its
    /// view policy's tenant (a policy without a tenant serves all); a token refresh answers
    /// only a new access token (the refresh token stays valid until it expires).
    V5_5,
}

impl Profile {
    /// Every profile, oldest first.
    pub const ALL: [Profile; 2] = [Profile::V5_3, Profile::V5_5];

    /// The release as an administrator writes it (`5.3`, `5.5`).
    pub fn release(self) -> &'static str {
        match self {
            Profile::V5_3 => "5.3",
            Profile::V5_5 => "5.5",
        }
    }

    /// `sw_version` of `/clusters/` and `sys_version` of `/versions/`.
    pub fn sw_version(self) -> &'static str {
        match self {
            Profile::V5_3 => "5.3.1.0.1",
            Profile::V5_5 => "5.5.0.0.1",
        }
    }

    /// `build` of `/clusters/`.
    pub fn build(self) -> &'static str {
        match self {
            Profile::V5_3 => "release-5.3.1-sim",
            Profile::V5_5 => "release-5.5.0-sim",
        }
    }

    /// `POST /users/` refuses a body without `local_provider_id` (S55 `users_add`: required;
    /// S53: optional).
    pub fn user_requires_local_provider(self) -> bool {
        self == Profile::V5_5
    }

    /// A new tenant gets a local provider of its own, and a provider serves one tenant only.
    pub fn local_provider_per_tenant(self) -> bool {
        self == Profile::V5_5
    }

    /// A view's `tenant_id` must be its policy's (`tenant_id` of a view policy is
    /// `none_to_all_tenants` in S55: a policy without a tenant serves every tenant).
    pub fn view_tenant_matches_policy(self) -> bool {
        self == Profile::V5_5
    }

    /// `POST /token/refresh/` answers a new refresh token too (S53 and S55 declare `refresh`
    /// but do not require it).
    pub fn refresh_rotates(self) -> bool {
        self == Profile::V5_3
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.release())
    }
}

/// A release name the simulator has no profile for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown VAST release profile {0:?} (known: 5.3, 5.5)")]
pub struct UnknownProfile(pub String);

impl FromStr for Profile {
    type Err = UnknownProfile;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.release() == s.trim())
            .ok_or_else(|| UnknownProfile(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_parse_and_print() {
        for p in Profile::ALL {
            assert_eq!(p.release().parse::<Profile>(), Ok(p));
            assert!(p.sw_version().starts_with(p.release()));
        }
        assert!("5.4".parse::<Profile>().is_err());
    }
}
