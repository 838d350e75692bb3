//! S3 credentials that can be replaced while clients are in use (access keys rotate).

use std::sync::{Arc, RwLock};

use aws_credential_types::provider::{self, ProvideCredentials};
use aws_credential_types::Credentials;

/// A credentials provider whose keys can be swapped at run time; every request signs with the
/// keys current when it is sent. Clones share the keys.
#[derive(Clone)]
pub struct SwappableCredentials {
    current: Arc<RwLock<Credentials>>,
}

impl std::fmt::Debug for SwappableCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SwappableCredentials")
            .field("access_key", &self.access_key())
            .finish_non_exhaustive()
    }
}

impl SwappableCredentials {
    /// Starts with the given key pair.
    pub fn new(access_key: &str, secret_key: &str) -> Self {
        Self {
            current: Arc::new(RwLock::new(make(access_key, secret_key))),
        }
    }

    /// Replaces the key pair for all later requests.
    pub fn set(&self, access_key: &str, secret_key: &str) {
        let mut guard = self.current.write().unwrap_or_else(|e| e.into_inner());
        *guard = make(access_key, secret_key);
    }

    /// The access key id in use (not secret).
    pub fn access_key(&self) -> String {
        self.snapshot().access_key_id().to_owned()
    }

    fn snapshot(&self) -> Credentials {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

fn make(access_key: &str, secret_key: &str) -> Credentials {
    Credentials::new(access_key, secret_key, None, None, "vast-s3-data")
}

impl ProvideCredentials for SwappableCredentials {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::ready(Ok(self.snapshot()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn swapped_keys_are_provided_and_secrets_never_printed() {
        let creds = SwappableCredentials::new("AK1", "topsecret1");
        let shared = creds.clone();
        shared.set("AK2", "topsecret2");
        let got = creds.provide_credentials().await.unwrap();
        assert_eq!(got.access_key_id(), "AK2");
        assert_eq!(got.secret_access_key(), "topsecret2");
        let debug = format!("{creds:?}");
        assert!(debug.contains("AK2"));
        assert!(!debug.contains("topsecret"));
    }
}
