//! NetBackup's own image metadata (`write_image_meta` / `read_image_meta`): one object beside
//! the descriptor, written at offsets by read-modify-write.

use ost_model::image_key::nbmeta_key;
use ost_model::{ImageId, LsuName, OstError};

use super::Server;

/// Largest metadata object accepted (it is read and rewritten whole).
pub(crate) const MAX_META_BYTES: u64 = 64 << 20;

impl Server {
    /// Writes `data` at `offset` of the image's metadata object. The image must exist.
    pub(crate) async fn write_image_meta(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        offset: u64,
        data: &[u8],
    ) -> Result<usize, OstError> {
        let end = offset
            .checked_add(data.len() as u64)
            .filter(|e| *e <= MAX_META_BYTES)
            .ok_or_else(|| OstError::InvalidArgument {
                cause: format!("image metadata may not extend past {MAX_META_BYTES} bytes"),
            })?;
        let descriptor = self.require_descriptor(lsu, id).await?;
        let key = nbmeta_key(id);
        let mut body = self.store().get(lsu, &key).await?.unwrap_or_default();
        let (start, end) = (offset as usize, end as usize);
        if body.len() < end {
            body.resize(end, 0);
        }
        body[start..end].copy_from_slice(data);
        self.store().put(lsu, &key, body, false).await?;
        // On a WORM LSU a locked (complete) image's new metadata version is locked alike.
        self.lock_late_object(lsu, id, &descriptor, &key).await?;
        Ok(data.len())
    }

    /// Reads the image's metadata at `offset` into `buf`; a missing object is
    /// [`OstError::NoMoreEntries`].
    pub(crate) async fn read_image_meta(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize, OstError> {
        let body = self
            .store()
            .get(lsu, &nbmeta_key(id))
            .await?
            .ok_or_else(|| OstError::NoMoreEntries {
                cause: format!("image {id} has no NetBackup metadata in {lsu}"),
            })?;
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(body.len());
        let n = (body.len() - start).min(buf.len());
        buf[..n].copy_from_slice(&body[start..start + n]);
        Ok(n)
    }
}
