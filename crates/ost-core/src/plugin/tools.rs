//! Blocking entry points for the administrator's tool (`vast-ost`), beyond the OST calls.

use std::path::Path;
use std::time::Duration;

use ost_model::{CloseFlags, ImageDescriptor, ImageId, LsuName, OstError};

use super::Plugin;
use crate::handles::{ImageHandleId, ServerId};
use crate::server::admin::VerifyReport;
use crate::server::check::{check_server, CheckReport, CheckStep};
use crate::types::{Credentials, IssuedToken, SweepReport};

impl Plugin {
    /// The tool's policy for an image whose backup failed (`vast-ost backup` and `bench` both
    /// follow it): a tool cannot resume an image as NetBackup does, so it leaves nothing
    /// behind. The handle is closed (the image stays Pending at its last durable size and the
    /// writer lease is released), then the image is deleted: descriptor, data, staged tail and
    /// open uploads. When the delete fails too, its error is returned and the image stays
    /// Pending until a delete or the orphan sweep (after `orphan_age_secs`) removes it.
    /// NetBackup's own calls never come here: through the OST API a failed image stays Pending
    /// and resumable until NetBackup expires it (docs/reliability.md).
    pub fn discard_failed_backup(&self, image: ImageHandleId) -> Result<(), OstError> {
        let (server, lsu, id) = self.image_identity(image)?;
        if let Err(e) = self.close_image(image, CloseFlags::empty()) {
            // The failure the caller already has, as a failed handle reports it again.
            tracing::debug!(%lsu, image = %id, error = %e, "closing a failed backup");
        }
        self.delete_image(server, &lsu, &id)
    }

    /// Seals a tool's backup (close with [`CloseFlags::IH_COMPLETE`]); when sealing fails, the
    /// backup has failed and the image is deleted as [`Plugin::discard_failed_backup`] says.
    /// Returns the sealing error (a delete that fails too is logged; the image then stays
    /// Pending until a delete or the orphan sweep removes it).
    pub fn complete_backup(&self, image: ImageHandleId) -> Result<(), OstError> {
        let (server, lsu, id) = self.image_identity(image)?;
        let sealed = self.close_image(image, CloseFlags::IH_COMPLETE);
        if sealed.is_err() {
            if let Err(e) = self.delete_image(server, &lsu, &id) {
                tracing::warn!(%lsu, image = %id, error = %e, "a failed backup could not be deleted; the orphan sweep will remove it");
            }
        }
        sealed
    }

    /// `vast-ost image delete --bypass-governance`: deletes an image whose governance-mode WORM
    /// lock has not run out, sending S3's governance bypass. The administrator's explicit act
    /// (the tool asks for confirmation and it is logged); refused in compliance mode and on a
    /// normal LSU. NetBackup's calls never bypass.
    pub fn delete_image_bypassing_governance(
        &self,
        server: ServerId,
        lsu: &LsuName,
        id: &ImageId,
    ) -> Result<(), OstError> {
        self.on_server(server, Some(lsu), async |s| {
            s.delete_image_bypassing_governance(lsu, id).await
        })
    }

    /// Runs the open-server path of `name` step by step (DNS, TCP, TLS, login, cluster state,
    /// tenant / user / policy, S3 key, S3 reachability, probe object) with this plugin's
    /// configuration; `on_step` sees each step as it ends. Stops at the first failure, which
    /// is the report's last step; the call itself fails only for a name that is not ours.
    pub fn check_server(
        &self,
        name: &str,
        credentials: Option<Credentials>,
        on_step: &mut (dyn FnMut(&CheckStep) + Send),
    ) -> Result<CheckReport, OstError> {
        let name = self.claim(name)?;
        let config = self.config.server(&name);
        let state_dir = self.config.plugin.state_dir.clone();
        let media_server = self.config.plugin.media_server_name();
        let budget = self.budget().clone();
        self.block_on(async move {
            let local = (state_dir, media_server.as_str());
            Ok(check_server(&name, &config, credentials, local, budget, on_step).await)
        })
    }

    /// Issues a VMS API token for this plugin on an open server, owned by the manager it was
    /// opened as, named `name` (default `vast-ost@<host>`), and writes it to `file` (mode 0600):
    /// configured as `api_token_file`, it replaces the password from then on. A token that
    /// cannot be written is revoked.
    pub fn issue_api_token(
        &self,
        server: ServerId,
        name: Option<&str>,
        expiry: Option<&str>,
        file: &Path,
    ) -> Result<IssuedToken, OstError> {
        let s = self.server(server)?;
        self.block_on(s.issue_api_token(name, expiry, file))
    }

    /// Re-reads a Complete image whole and compares its CRC32C with the one stored in its
    /// descriptor; `progress(done, total)` follows the read.
    pub fn verify_image(
        &self,
        server: ServerId,
        lsu: &LsuName,
        id: &ImageId,
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<VerifyReport, OstError> {
        let s = self.server(server)?;
        self.block_on(s.verify_image(lsu, id, progress))
    }

    /// The stored descriptor of an image (state, size, layout, checksum, writer).
    pub fn image_descriptor(
        &self,
        server: ServerId,
        lsu: &LsuName,
        id: &ImageId,
    ) -> Result<ImageDescriptor, OstError> {
        let s = self.server(server)?;
        self.block_on(s.descriptor(lsu, id))
    }

    /// The orphan sweep of one LSU, with orphan age `older_than` instead of the configured
    /// `orphan_age_secs`; with `dry_run` nothing is removed and the report says what would be.
    pub fn sweep_lsu(
        &self,
        server: ServerId,
        lsu: &LsuName,
        older_than: Duration,
        dry_run: bool,
    ) -> Result<SweepReport, OstError> {
        let s = self.server(server)?;
        self.block_on(s.sweep_lsu(lsu, older_than, dry_run))
    }
}
