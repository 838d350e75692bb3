//! Administrator operations beyond the OST calls (the `vast-ost` tool): re-reading an image to
//! verify its stored checksum, previewing what an orphan sweep would remove, and issuing the
//! VMS API token that lets the plugin run without a password (`vast-ost bootstrap`).

use std::path::Path;
use std::time::Duration;

use ost_model::{ImageDescriptor, ImageId, ImageState, LsuName, OstError};

use super::Server;
use crate::error;
use crate::private_file;
use crate::types::{IssuedToken, SweepReport};

/// Bytes read per call while verifying.
const VERIFY_CHUNK: usize = 8 << 20;

/// Result of re-reading an image and checking its stored checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The LSU.
    pub lsu: LsuName,
    /// The image.
    pub image: ImageId,
    /// Bytes read (the descriptor's size when the data is whole).
    pub bytes_read: u64,
    /// Checksum algorithm (`crc32c`).
    pub algorithm: String,
    /// The checksum stored in the descriptor.
    pub expected: String,
    /// The checksum of the bytes read.
    pub actual: String,
}

impl VerifyReport {
    /// True when the data read back matches the stored checksum and size.
    pub fn ok(&self) -> bool {
        self.expected.eq_ignore_ascii_case(&self.actual)
    }
}

impl Server {
    /// Issues a VMS API token owned by the manager this server was opened as, named `name`
    /// (default `vast-ost@<host>`),
    /// with lifetime `expiry` (`365d`; VMS's default when `None`), and writes it to `file`
    /// (mode 0600, replaced atomically).
    pub(crate) async fn issue_api_token(
        &self,
        name: Option<&str>,
        expiry: Option<&str>,
        file: &Path,
    ) -> Result<IssuedToken, OstError> {
        let name = name.map_or_else(
            || format!("vast-ost@{}", crate::image::host_name()),
            str::to_owned,
        );
        let me = self.vms.whoami().await.map_err(error::vms)?;
        let mut new = vast_vms_client::NewApiToken::named(name.as_str());
        if let Some(expiry) = expiry {
            new = new.expiring_in(expiry);
        }
        let issued = self
            .vms
            .api_tokens()
            .create(&new)
            .await
            .map_err(error::vms)?;
        let mut body = issued.token.expose().as_bytes().to_vec();
        body.push(b'\n');
        if let Err(e) = private_file::write_private(file, &body, "the API token file") {
            // A token nobody can read is useless: take it back.
            if let Err(revoke) = self.vms.api_tokens().revoke(&issued.id).await {
                tracing::warn!(server = %self.name, token_id = %issued.id, error = %revoke, "could not revoke the unsaved API token");
            }
            return Err(e);
        }
        tracing::info!(server = %self.name, token_id = %issued.id, owner = %me.username, file = %file.display(), "VMS API token issued");
        Ok(IssuedToken {
            id: issued.id,
            owner: me.username,
            token: issued.token,
        })
    }

    /// Reads a Complete image whole and compares its CRC32C with the descriptor's.
    /// `progress(done, total)` is called after each chunk.
    pub(crate) async fn verify_image(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<VerifyReport, OstError> {
        self.check_lsu(lsu).await?;
        self.claim_read(lsu, id)?;
        let result = self.verify_claimed(lsu, id, progress).await;
        self.release(lsu, id);
        result
    }

    async fn verify_claimed(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<VerifyReport, OstError> {
        let d = self.require_descriptor(lsu, id).await?;
        if d.state != ImageState::Complete {
            return Err(OstError::Busy {
                cause: format!("image {id} is pending (not complete); it cannot be verified"),
            });
        }
        let checksum = d.checksum.clone().ok_or_else(|| OstError::Corrupt {
            cause: format!("image {id} is complete but its descriptor holds no checksum"),
        })?;
        if checksum.algorithm.name() != "crc32c" {
            return Err(OstError::NotSupported {
                cause: format!(
                    "image {id} has a {} checksum; only crc32c can be verified",
                    checksum.algorithm.name()
                ),
            });
        }
        let mut reader = self
            .store()
            .open_reader(
                lsu,
                id,
                d.layout.segment_size,
                d.byte_size,
                self.read_ahead(),
            )
            .await?;
        let mut buf = vec![0u8; VERIFY_CHUNK];
        let mut done = 0u64;
        let mut crc = 0u32;
        loop {
            let n = reader.read_into(done, &mut buf).await?;
            if n == 0 {
                break;
            }
            crc = crc32c::crc32c_append(crc, &buf[..n]);
            done += n as u64;
            progress(done, d.byte_size);
        }
        if done != d.byte_size {
            return Err(OstError::Corrupt {
                cause: format!(
                    "image {id}: read {done} bytes, the descriptor says {}",
                    d.byte_size
                ),
            });
        }
        Ok(VerifyReport {
            lsu: lsu.clone(),
            image: id.clone(),
            bytes_read: done,
            algorithm: checksum.algorithm.name().to_owned(),
            expected: checksum.value.clone(),
            actual: format!("{crc:08x}"),
        })
    }

    /// The descriptor of an image of `lsu` ([`OstError::NoMoreEntries`] when it has none).
    pub(crate) async fn descriptor(
        &self,
        lsu: &LsuName,
        id: &ImageId,
    ) -> Result<ImageDescriptor, OstError> {
        self.check_lsu(lsu).await?;
        self.require_descriptor(lsu, id).await
    }

    /// The orphan sweep of one LSU with orphan age `age`: Pending images with no live handle
    /// whose descriptor is older than `age`, and multipart uploads older than `age` outside
    /// live Pending images. With `dry_run` nothing is removed and the report says what would be
    /// (uploads are counted on the S3 data path only).
    pub(crate) async fn sweep_lsu(
        &self,
        lsu: &LsuName,
        age: Duration,
        dry_run: bool,
    ) -> Result<SweepReport, OstError> {
        self.check_lsu(lsu).await?;
        self.sweep_one_lsu(lsu, age, dry_run).await
    }
}
