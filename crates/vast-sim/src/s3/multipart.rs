//! Multipart uploads: create, upload a part (streamed or copied), complete (with the ETag and
//! order checks S3 makes), abort, list parts, list uploads.

use md5::{Digest, Md5};
use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result};

use super::auth::identity;
use super::checksum::{trailer_header, Expected};
use super::data::{link_parts, remove};
use super::io::{blocking, copy_range};
use super::meta::{new_id, now_ms, timestamp, Checksums, ObjectMeta, PartMeta, UploadMeta};
use super::objects::{check_key, content_headers, create_only, drain, hex, match_etag};
use super::store::Replacing;
use super::upload::receive_verified;
use super::SimS3;

/// Smallest part but the last (AWS's limit; VAST documents none, so AWS's is assumed).
pub(crate) const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// Highest part number.
const MAX_PART_NUMBER: i32 = 10_000;

fn check_part_number(n: i32) -> S3Result<()> {
    if (1..=MAX_PART_NUMBER).contains(&n) {
        Ok(())
    } else {
        Err(s3_error!(
            InvalidArgument,
            "Part number must be an integer between 1 and 10000, inclusive"
        ))
    }
}

/// Parses `x-amz-copy-source-range: bytes=first-last` against the source size.
fn copy_range_of(range: Option<&str>, size: u64) -> S3Result<(u64, u64)> {
    let Some(range) = range else {
        return Ok((0, size));
    };
    let spec = range.strip_prefix("bytes=").ok_or_else(|| {
        s3_error!(
            InvalidArgument,
            "The x-amz-copy-source-range value must be of the form bytes=first-last"
        )
    })?;
    let (first, last) = spec
        .split_once('-')
        .and_then(|(a, b)| Some((a.trim().parse::<u64>().ok()?, b.trim().parse::<u64>().ok()?)))
        .ok_or_else(|| {
            s3_error!(
                InvalidArgument,
                "The x-amz-copy-source-range value must be of the form bytes=first-last"
            )
        })?;
    if first > last || last >= size {
        return Err(s3_error!(
            InvalidRange,
            "The requested range is not satisfiable"
        ));
    }
    Ok((first, last - first + 1))
}

impl SimS3 {
    pub(crate) async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let owner = identity(&req)?.user_name;
        let input = req.input;
        check_key(&input.key)?;
        let (retention, legal_hold) = super::lock::from_headers(
            input.object_lock_mode.as_ref(),
            input.object_lock_retain_until_date.as_ref(),
            input.object_lock_legal_hold_status.as_ref(),
        )?;
        let lock_enabled = self
            .store
            .with_bucket(&input.bucket, |b| b.meta.object_lock)?;
        if !lock_enabled && (retention.is_some() || legal_hold) {
            return Err(s3_error!(
                InvalidRequest,
                "Bucket is missing Object Lock Configuration"
            ));
        }
        let meta = UploadMeta {
            id: new_id(),
            bucket: input.bucket.clone(),
            key: input.key.clone(),
            initiated_ms: now_ms(),
            headers: content_headers(
                input.content_type,
                input.content_encoding,
                input.content_disposition,
                input.content_language,
                input.cache_control,
                input.metadata,
            ),
            checksum_algorithm: input
                .checksum_algorithm
                .as_ref()
                .map(|a| a.as_str().to_owned()),
            owner,
            retention,
            legal_hold,
        };
        let upload_id = meta.id.clone();
        self.store.create_upload(meta)?;
        Ok(S3Response::new(CreateMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(upload_id),
            checksum_algorithm: input.checksum_algorithm,
            ..CreateMultipartUploadOutput::default()
        }))
    }

    pub(crate) async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let trailer = trailer_header(&req.headers);
        let trailers = req.trailing_headers;
        let mut input = req.input;
        let body = input.body.take();
        let declared = input.content_length.and_then(|l| u64::try_from(l).ok());
        let limits = self.limits(&input.bucket);
        let replacing = Replacing::Part(&input.upload_id, input.part_number);
        let checked = (|| {
            check_part_number(input.part_number)?;
            let (upload, _) = self
                .store
                .upload(&input.bucket, &input.key, &input.upload_id)?;
            let reservation =
                self.store
                    .reserve(&input.bucket, replacing, declared.unwrap_or(0), limits)?;
            Ok((upload, reservation))
        })();
        let (upload, reservation) = match checked {
            Ok(checked) => checked,
            Err(e) => return Err(drain(body, e).await),
        };
        let mut expected = Expected {
            given: Checksums {
                crc32: input.checksum_crc32,
                crc32c: input.checksum_crc32c,
                crc64nvme: input.checksum_crc64nvme,
                sha1: input.checksum_sha1,
                sha256: input.checksum_sha256,
            },
            algorithm: input
                .checksum_algorithm
                .map(|a| a.as_str().to_owned())
                .or(upload.checksum_algorithm),
            content_md5: input.content_md5,
        };
        expected.name_trailer(trailer.as_deref());
        let received = receive_verified(
            &self.store,
            body,
            expected,
            trailers.as_ref(),
            declared,
            |size| self.store.reserve(&input.bucket, replacing, size, limits),
        )
        .await?;
        let tmp = received.tmp.clone();
        let etag = received.etag.clone();
        let checksums = received.checksums.clone();
        self.install_part(
            &input.upload_id,
            &tmp,
            PartMeta {
                number: input.part_number,
                size: received.size,
                etag: etag.clone(),
                last_modified_ms: now_ms(),
                checksums: checksums.clone(),
            },
        )?;
        drop(reservation);
        Ok(S3Response::new(UploadPartOutput {
            e_tag: Some(ETag::Strong(etag)),
            checksum_crc32: checksums.crc32,
            checksum_crc32c: checksums.crc32c,
            checksum_crc64nvme: checksums.crc64nvme,
            checksum_sha1: checksums.sha1,
            checksum_sha256: checksums.sha256,
            ..UploadPartOutput::default()
        }))
    }

    fn install_part(&self, upload_id: &str, tmp: &std::path::Path, part: PartMeta) -> S3Result<()> {
        let path = self.store.part_path(upload_id, part.number);
        if let Err(e) = std::fs::rename(tmp, &path) {
            let _ = std::fs::remove_file(tmp);
            return Err(if e.kind() == std::io::ErrorKind::NotFound {
                s3_error!(NoSuchUpload)
            } else {
                super::error::io_error(e)
            });
        }
        self.store.commit_part(upload_id, part)
    }

    pub(crate) async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        let input = req.input;
        check_part_number(input.part_number)?;
        let (upload, _) = self
            .store
            .upload(&input.bucket, &input.key, &input.upload_id)?;
        let (src_bucket, _, source) =
            self.copy_source(&input.copy_source, input.copy_source_if_match.as_ref())?;
        let (offset, len) = copy_range_of(input.copy_source_range.as_deref(), source.size)?;
        let limits = self.limits(&input.bucket);
        let replacing = Replacing::Part(&input.upload_id, input.part_number);
        let reservation = self.store.reserve(&input.bucket, replacing, len, limits)?;
        let hasher = Expected {
            algorithm: upload.checksum_algorithm,
            ..Expected::default()
        }
        .hasher();
        let tmp = self.store.tmp_path();
        let (src, dst) = (self.store.data_path(src_bucket, &source.id), tmp.clone());
        let copied = blocking(move || copy_range(&src, offset, len, &dst, hasher))
            .await
            .inspect_err(|_| {
                let _ = std::fs::remove_file(&tmp);
            })?;
        let etag = hex(&copied.md5);
        let last_modified_ms = now_ms();
        self.install_part(
            &input.upload_id,
            &tmp,
            PartMeta {
                number: input.part_number,
                size: copied.size,
                etag: etag.clone(),
                last_modified_ms,
                checksums: copied.checksums.clone(),
            },
        )?;
        drop(reservation);
        Ok(S3Response::new(UploadPartCopyOutput {
            copy_part_result: Some(CopyPartResult {
                e_tag: Some(ETag::Strong(etag)),
                last_modified: Some(timestamp(last_modified_ms)),
                checksum_crc32: copied.checksums.crc32,
                checksum_crc32c: copied.checksums.crc32c,
                checksum_crc64nvme: copied.checksums.crc64nvme,
                checksum_sha1: copied.checksums.sha1,
                checksum_sha256: copied.checksums.sha256,
            }),
            ..UploadPartCopyOutput::default()
        }))
    }

    pub(crate) async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let input = req.input;
        let (upload, stored) = self
            .store
            .upload(&input.bucket, &input.key, &input.upload_id)?;
        let if_none_match =
            create_only(input.if_none_match.as_ref(), self.modes.conditional_create)?;
        let if_match = match_etag(input.if_match.as_ref());
        let requested = input
            .multipart_upload
            .and_then(|m| m.parts)
            .unwrap_or_default();
        if requested.is_empty() {
            return Err(s3_error!(
                MalformedXML,
                "You must specify at least one part"
            ));
        }
        let mut chosen: Vec<&PartMeta> = Vec::with_capacity(requested.len());
        let mut previous = 0;
        for part in &requested {
            let number = part.part_number.unwrap_or(0);
            if number <= previous {
                return Err(s3_error!(InvalidPartOrder, "The list of parts was not in ascending order. The parts list must be specified in order by part number."));
            }
            previous = number;
            let found = stored.iter().find(|p| p.number == number);
            let etag_matches =
                |p: &&PartMeta| part.e_tag.as_ref().is_some_and(|e| e.value() == p.etag);
            match found.filter(etag_matches) {
                Some(p) => chosen.push(p),
                None => {
                    return Err(s3_error!(InvalidPart, "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."))
                }
            }
        }
        if let Some((_, all_but_last)) = chosen.split_last() {
            if all_but_last.iter().any(|p| p.size < MIN_PART_SIZE) {
                return Err(s3_error!(
                    EntityTooSmall,
                    "Your proposed upload is smaller than the minimum allowed object size."
                ));
            }
        }
        if if_none_match && self.store.object(&input.bucket, &input.key).is_ok() {
            return Err(s3_error!(
                PreconditionFailed,
                "At least one of the pre-conditions you specified did not hold"
            ));
        }
        let mut md5s = Md5::new();
        for p in &chosen {
            let raw: Vec<u8> = (0..p.etag.len() / 2)
                .filter_map(|i| u8::from_str_radix(p.etag.get(2 * i..2 * i + 2)?, 16).ok())
                .collect();
            md5s.update(&raw);
        }
        let etag = format!("{}-{}", hex(&md5s.finalize()), chosen.len());
        let paths: Vec<_> = chosen
            .iter()
            .map(|p| self.store.part_path(&upload.id, p.number))
            .collect();
        let tmp = self.store.tmp_path();
        let dst = tmp.clone();
        let size = blocking(move || link_parts(&paths, &dst))
            .await
            .inspect_err(|_| remove(&tmp))?;
        let meta = ObjectMeta {
            key: input.key.clone(),
            id: new_id(),
            size,
            etag: etag.clone(),
            last_modified_ms: now_ms(),
            seq: self.store.next_seq(),
            headers: upload.headers.clone(),
            checksums: Checksums::default(),
            parts_count: u32::try_from(chosen.len()).ok(),
            version_id: None,
            delete_marker: false,
            retention: upload.retention.clone(),
            legal_hold: upload.legal_hold,
        };
        let version_id = self
            .install(
                &input.bucket,
                &tmp,
                meta,
                if_none_match,
                if_match.as_deref(),
            )
            .await?;
        self.store.finish_upload(&upload.id)?;
        Ok(S3Response::new(CompleteMultipartUploadOutput {
            version_id,
            bucket: Some(input.bucket.clone()),
            key: Some(input.key.clone()),
            e_tag: Some(ETag::Strong(etag)),
            location: Some(format!("/{}/{}", input.bucket, input.key)),
            ..CompleteMultipartUploadOutput::default()
        }))
    }

    pub(crate) async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let input = req.input;
        self.store
            .upload(&input.bucket, &input.key, &input.upload_id)?;
        self.store.finish_upload(&input.upload_id)?;
        Ok(S3Response::with_status(
            AbortMultipartUploadOutput::default(),
            http::StatusCode::NO_CONTENT,
        ))
    }

    pub(crate) async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let input = req.input;
        let (upload, parts) = self
            .store
            .upload(&input.bucket, &input.key, &input.upload_id)?;
        let marker = input.part_number_marker.unwrap_or(0);
        let max = usize::try_from(input.max_parts.unwrap_or(1000).clamp(0, 1000)).unwrap_or(1000);
        let after: Vec<&PartMeta> = parts.iter().filter(|p| p.number > marker).collect();
        let truncated = after.len() > max;
        let page: Vec<Part> = after
            .iter()
            .take(max)
            .map(|p| Part {
                part_number: Some(p.number),
                size: i64::try_from(p.size).ok(),
                e_tag: Some(ETag::Strong(p.etag.clone())),
                last_modified: Some(timestamp(p.last_modified_ms)),
                checksum_crc32: p.checksums.crc32.clone(),
                checksum_crc32c: p.checksums.crc32c.clone(),
                checksum_crc64nvme: p.checksums.crc64nvme.clone(),
                checksum_sha1: p.checksums.sha1.clone(),
                checksum_sha256: p.checksums.sha256.clone(),
            })
            .collect();
        let next = if truncated {
            page.last().and_then(|p| p.part_number)
        } else {
            None
        };
        Ok(S3Response::new(ListPartsOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(input.upload_id),
            parts: Some(page),
            is_truncated: Some(truncated),
            max_parts: i32::try_from(max).ok(),
            part_number_marker: Some(marker),
            next_part_number_marker: next,
            checksum_algorithm: upload.checksum_algorithm.map(ChecksumAlgorithm::from),
            ..ListPartsOutput::default()
        }))
    }

    pub(crate) async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let input = req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let key_marker = input.key_marker.clone().unwrap_or_default();
        let id_marker = input.upload_id_marker.clone().unwrap_or_default();
        let max = usize::try_from(input.max_uploads.unwrap_or(1000).clamp(0, 1000)).unwrap_or(1000);
        let all = self.store.uploads_of(&input.bucket)?;
        let after: Vec<&UploadMeta> = all
            .iter()
            .filter(|u| u.key.starts_with(&prefix))
            .filter(|u| {
                key_marker.is_empty()
                    || u.key > key_marker
                    || (u.key == key_marker && !id_marker.is_empty() && u.id > id_marker)
            })
            .collect();
        let truncated = after.len() > max;
        let page: Vec<&UploadMeta> = after.into_iter().take(max).collect();
        let (next_key, next_id) = match (truncated, page.last()) {
            (true, Some(u)) => (Some(u.key.clone()), Some(u.id.clone())),
            _ => (None, None),
        };
        let uploads = page
            .iter()
            .map(|u| MultipartUpload {
                key: Some(u.key.clone()),
                upload_id: Some(u.id.clone()),
                initiated: Some(timestamp(u.initiated_ms)),
                owner: Some(Owner {
                    display_name: Some(u.owner.clone()),
                    id: Some(u.owner.clone()),
                }),
                ..MultipartUpload::default()
            })
            .collect();
        Ok(S3Response::new(ListMultipartUploadsOutput {
            bucket: Some(input.bucket),
            prefix: input.prefix,
            key_marker: input.key_marker,
            upload_id_marker: input.upload_id_marker,
            max_uploads: i32::try_from(max).ok(),
            is_truncated: Some(truncated),
            next_key_marker: next_key,
            next_upload_id_marker: next_id,
            uploads: Some(uploads),
            ..ListMultipartUploadsOutput::default()
        }))
    }
}
