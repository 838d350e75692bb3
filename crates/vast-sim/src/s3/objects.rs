//! Object operations: put (streamed, checksummed, conditional), get (ranged, streamed), head,
//! delete, delete-many, copy.

use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result};

use super::checksum::{hasher_like, trailer_header, Expected};
use super::io::{blocking, copy_range, file_body};
use super::meta::{now_ms, timestamp, Checksums, ContentHeaders, ObjectMeta};
use super::object_lock::lock_headers;
use super::store::Replacing;
use super::upload::receive_verified;
use super::SimS3;
use crate::s3_modes::ConditionalCreate;

/// VAST's key limits: at most 1024 characters and 200 slashes.
pub(crate) fn check_key(key: &str) -> S3Result<()> {
    if key.is_empty() {
        return Err(s3_error!(InvalidArgument, "The key must not be empty"));
    }
    if key.chars().count() > 1024 {
        return Err(s3_error!(KeyTooLongError, "Your key is too long"));
    }
    if key.matches('/').count() > 200 {
        return Err(s3_error!(
            InvalidArgument,
            "A key may contain at most 200 slashes"
        ));
    }
    Ok(())
}

/// Lower-case hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `If-None-Match: *` (create only) as `mode` treats it; other forms are not supported on
/// writes.
pub(crate) fn create_only(
    condition: Option<&ETagCondition>,
    mode: ConditionalCreate,
) -> S3Result<bool> {
    match (condition, mode) {
        (None, _) => Ok(false),
        (Some(_), ConditionalCreate::Ignore) => Ok(false),
        (Some(_), ConditionalCreate::Refuse) => Err(s3_error!(
            NotImplemented,
            "If-None-Match is not supported on writes"
        )),
        (Some(c), ConditionalCreate::Honour) if c.is_any() => Ok(true),
        (Some(_), ConditionalCreate::Honour) => Err(s3_error!(
            NotImplemented,
            "If-None-Match on writes supports only *"
        )),
    }
}

/// `If-Match: <etag>|*` as the ETag to compare (without quotes).
pub(crate) fn match_etag(condition: Option<&ETagCondition>) -> Option<String> {
    condition.map(|c| match c {
        ETagCondition::Any => "*".to_owned(),
        ETagCondition::ETag(etag) => etag.value().to_owned(),
    })
}

/// `PreconditionFailed` as S3 words it.
pub(crate) fn precondition_failed() -> s3s::S3Error {
    s3_error!(
        PreconditionFailed,
        "At least one of the pre-conditions you specified did not hold"
    )
}

/// Reads and discards a request body that will not be stored, then hands back the refusal:
/// a client still sending its body would otherwise see the connection close instead of the
/// answer.
pub(crate) async fn drain(body: Option<StreamingBlob>, refusal: s3s::S3Error) -> s3s::S3Error {
    use futures::StreamExt as _;
    if let Some(mut body) = body {
        while let Some(Ok(_)) = body.next().await {}
    }
    refusal
}

/// Headers and checksums an object carries back out.
pub(crate) fn content_headers(
    content_type: Option<String>,
    content_encoding: Option<String>,
    content_disposition: Option<String>,
    content_language: Option<String>,
    cache_control: Option<String>,
    metadata: Option<Metadata>,
) -> ContentHeaders {
    ContentHeaders {
        content_type,
        content_encoding,
        content_disposition,
        content_language,
        cache_control,
        metadata: metadata.unwrap_or_default().into_iter().collect(),
    }
}

fn metadata_of(meta: &ObjectMeta) -> Option<Metadata> {
    (!meta.headers.metadata.is_empty()).then(|| meta.headers.metadata.clone().into_iter().collect())
}

fn check_if_match(meta: &ObjectMeta, if_match: Option<&ETagCondition>) -> S3Result<()> {
    if let Some(ETagCondition::ETag(etag)) = if_match {
        if etag.value() != meta.etag {
            return Err(s3_error!(
                PreconditionFailed,
                "At least one of the pre-conditions you specified did not hold"
            ));
        }
    }
    Ok(())
}

impl SimS3 {
    pub(crate) async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let trailer = trailer_header(&req.headers);
        let trailers = req.trailing_headers;
        let mut input = req.input;
        let body = input.body.take();
        let bucket = input.bucket;
        let key = input.key;
        let declared = input.content_length.and_then(|l| u64::try_from(l).ok());
        let limits = self.limits(&bucket);
        let checked = (|| {
            check_key(&key)?;
            let if_none_match =
                create_only(input.if_none_match.as_ref(), self.modes.conditional_create)?;
            let if_match = match_etag(input.if_match.as_ref());
            match self.store.object(&bucket, &key) {
                Ok(_) if if_none_match => return Err(precondition_failed()),
                Err(e) if *e.code() == s3s::S3ErrorCode::NoSuchBucket => return Err(e),
                _ => {}
            }
            let reservation = self.store.reserve(
                &bucket,
                Replacing::Object(&key),
                declared.unwrap_or(0),
                limits,
            )?;
            Ok((if_none_match, if_match, reservation))
        })();
        let (if_none_match, if_match, reservation) = match checked {
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
            algorithm: input.checksum_algorithm.map(|a| a.as_str().to_owned()),
            content_md5: input.content_md5,
        };
        expected.name_trailer(trailer.as_deref());
        let received = receive_verified(
            &self.store,
            body,
            expected,
            trailers.as_ref(),
            declared,
            |size| {
                self.store
                    .reserve(&bucket, Replacing::Object(&key), size, limits)
            },
        )
        .await?;
        let tmp = received.tmp.clone();
        let etag = received.etag.clone();
        let checksums = received.checksums.clone();
        let (retention, legal_hold) = super::lock::from_headers(
            input.object_lock_mode.as_ref(),
            input.object_lock_retain_until_date.as_ref(),
            input.object_lock_legal_hold_status.as_ref(),
        )
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })?;
        let meta = ObjectMeta {
            key,
            id: super::meta::new_id(),
            size: received.size,
            etag: etag.clone(),
            last_modified_ms: now_ms(),
            seq: self.store.next_seq(),
            headers: content_headers(
                input.content_type,
                input.content_encoding,
                input.content_disposition,
                input.content_language,
                input.cache_control,
                input.metadata,
            ),
            checksums: checksums.clone(),
            parts_count: None,
            version_id: None,
            delete_marker: false,
            retention,
            legal_hold,
        };
        let version_id = self
            .install(&bucket, &tmp, meta, if_none_match, if_match.as_deref())
            .await?;
        drop(reservation);
        Ok(S3Response::new(PutObjectOutput {
            e_tag: Some(ETag::Strong(etag)),
            version_id,
            checksum_crc32: checksums.crc32,
            checksum_crc32c: checksums.crc32c,
            checksum_crc64nvme: checksums.crc64nvme,
            checksum_sha1: checksums.sha1,
            checksum_sha256: checksums.sha256,
            size: i64::try_from(received.size).ok(),
            ..PutObjectOutput::default()
        }))
    }

    /// Moves a received file (or a directory of parts) into the bucket and commits its sidecar (removing the file if the
    /// commit is refused).
    pub(crate) async fn install(
        &self,
        bucket: &str,
        tmp: &std::path::Path,
        meta: ObjectMeta,
        if_none_match: bool,
        if_match: Option<&str>,
    ) -> S3Result<Option<String>> {
        let data = self.store.data_path(bucket, &meta.id);
        if let Err(e) = std::fs::rename(tmp, &data) {
            super::data::remove(tmp);
            return Err(if e.kind() == std::io::ErrorKind::NotFound {
                s3_error!(NoSuchBucket)
            } else {
                super::error::io_error(e)
            });
        }
        self.store
            .commit_object(bucket, meta, if_none_match, if_match)
            .inspect_err(|_| super::data::remove(&data))
    }

    pub(crate) async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let input = req.input;
        let mut attempt = 0;
        loop {
            let meta = self.store.object_version(
                &input.bucket,
                &input.key,
                input.version_id.as_deref(),
            )?;
            check_if_match(&meta, input.if_match.as_ref())?;
            let range = match input.range {
                Some(range) => Some(range.check(meta.size)?),
                None => None,
            };
            let (start, len) = range
                .as_ref()
                .map_or((0, meta.size), |r| (r.start, r.end - r.start));
            let path = self.store.data_path(&input.bucket, &meta.id);
            let body = match file_body(path, start, len).await {
                Ok(body) => body,
                // Overwritten between the look-up and the open: look again.
                Err(e) if *e.code() == s3s::S3ErrorCode::NoSuchKey && attempt == 0 => {
                    attempt += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let whole = range.is_none();
            let with_checksums = whole
                && input
                    .checksum_mode
                    .as_ref()
                    .is_some_and(|m| m.as_str().eq_ignore_ascii_case(ChecksumMode::ENABLED));
            let checksums = if with_checksums {
                meta.checksums.clone()
            } else {
                Checksums::default()
            };
            let (lock_mode, lock_until, legal_hold) = lock_headers(&meta);
            return Ok(S3Response::new(GetObjectOutput {
                body: Some(body),
                version_id: meta.version_id.clone(),
                object_lock_mode: lock_mode,
                object_lock_retain_until_date: lock_until,
                object_lock_legal_hold_status: legal_hold,
                content_length: i64::try_from(len).ok(),
                content_range: range
                    .map(|r| format!("bytes {}-{}/{}", r.start, r.end - 1, meta.size)),
                accept_ranges: Some("bytes".to_owned()),
                e_tag: Some(ETag::Strong(meta.etag.clone())),
                last_modified: Some(timestamp(meta.last_modified_ms)),
                metadata: metadata_of(&meta),
                content_type: meta.headers.content_type.clone(),
                content_encoding: meta.headers.content_encoding.clone(),
                content_disposition: meta.headers.content_disposition.clone(),
                content_language: meta.headers.content_language.clone(),
                cache_control: meta.headers.cache_control.clone(),
                checksum_crc32: checksums.crc32,
                checksum_crc32c: checksums.crc32c,
                checksum_crc64nvme: checksums.crc64nvme,
                checksum_sha1: checksums.sha1,
                checksum_sha256: checksums.sha256,
                ..GetObjectOutput::default()
            }));
        }
    }

    pub(crate) async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let input = req.input;
        let meta =
            self.store
                .object_version(&input.bucket, &input.key, input.version_id.as_deref())?;
        check_if_match(&meta, input.if_match.as_ref())?;
        let with_checksums = input
            .checksum_mode
            .as_ref()
            .is_some_and(|m| m.as_str().eq_ignore_ascii_case(ChecksumMode::ENABLED));
        let checksums = if with_checksums {
            meta.checksums.clone()
        } else {
            Checksums::default()
        };
        let (lock_mode, lock_until, legal_hold) = lock_headers(&meta);
        Ok(S3Response::new(HeadObjectOutput {
            version_id: meta.version_id.clone(),
            object_lock_mode: lock_mode,
            object_lock_retain_until_date: lock_until,
            object_lock_legal_hold_status: legal_hold,
            content_length: i64::try_from(meta.size).ok(),
            accept_ranges: Some("bytes".to_owned()),
            e_tag: Some(ETag::Strong(meta.etag.clone())),
            last_modified: Some(timestamp(meta.last_modified_ms)),
            metadata: metadata_of(&meta),
            content_type: meta.headers.content_type.clone(),
            content_encoding: meta.headers.content_encoding.clone(),
            content_disposition: meta.headers.content_disposition.clone(),
            content_language: meta.headers.content_language.clone(),
            cache_control: meta.headers.cache_control.clone(),
            checksum_crc32: checksums.crc32,
            checksum_crc32c: checksums.crc32c,
            checksum_crc64nvme: checksums.crc64nvme,
            checksum_sha1: checksums.sha1,
            checksum_sha256: checksums.sha256,
            ..HeadObjectOutput::default()
        }))
    }

    /// DeleteObject: without a version id a delete marker in a bucket that keeps versions;
    /// with one, that version is removed if object lock allows (the bypass header was
    /// authorised by `auth.rs`).
    pub(crate) async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let input = req.input;
        let bypass = input.bypass_governance_retention.unwrap_or(false);
        let output = match input.version_id.as_deref() {
            Some(version) => {
                let marker =
                    self.store
                        .delete_version(&input.bucket, &input.key, version, bypass)?;
                DeleteObjectOutput {
                    delete_marker: marker.then_some(true),
                    version_id: Some(version.to_owned()),
                    ..DeleteObjectOutput::default()
                }
            }
            None => {
                let marker = self.store.delete_object(&input.bucket, &input.key)?;
                DeleteObjectOutput {
                    delete_marker: marker.is_some().then_some(true),
                    version_id: marker,
                    ..DeleteObjectOutput::default()
                }
            }
        };
        Ok(S3Response::with_status(
            output,
            http::StatusCode::NO_CONTENT,
        ))
    }

    pub(crate) async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let input = req.input;
        if input.delete.objects.len() > 1000 {
            return Err(s3_error!(MalformedXML, "At most 1000 keys per request"));
        }
        let quiet = input.delete.quiet.unwrap_or(false);
        let bypass = input.bypass_governance_retention.unwrap_or(false);
        let mut deleted = Vec::new();
        let mut errors = Vec::new();
        for object in input.delete.objects {
            let result = match object.version_id.as_deref() {
                Some(version) => self
                    .store
                    .delete_version(&input.bucket, &object.key, version, bypass)
                    .map(|marker| DeletedObject {
                        delete_marker: marker.then_some(true),
                        version_id: Some(version.to_owned()),
                        ..DeletedObject::default()
                    }),
                None => self
                    .store
                    .delete_object(&input.bucket, &object.key)
                    .map(|marker| DeletedObject {
                        delete_marker: marker.is_some().then_some(true),
                        delete_marker_version_id: marker,
                        ..DeletedObject::default()
                    }),
            };
            match result {
                Ok(done) => {
                    if !quiet {
                        deleted.push(DeletedObject {
                            key: Some(object.key),
                            ..done
                        });
                    }
                }
                Err(e) if *e.code() == s3s::S3ErrorCode::NoSuchBucket => return Err(e),
                Err(e) => errors.push(Error {
                    code: Some(e.code().as_str().to_owned()),
                    version_id: object.version_id,
                    key: Some(object.key),
                    message: e.message().map(str::to_owned),
                }),
            }
        }
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: Some(deleted),
            errors: (!errors.is_empty()).then_some(errors),
            ..DeleteObjectsOutput::default()
        }))
    }

    /// The source of a copy (CopyObject, UploadPartCopy): its bucket, key and metadata, with
    /// `x-amz-copy-source-if-match` checked.
    pub(crate) fn copy_source<'a>(
        &self,
        source: &'a CopySource,
        if_match: Option<&ETagCondition>,
    ) -> S3Result<(&'a str, &'a str, ObjectMeta)> {
        let CopySource::Bucket { bucket, key, .. } = source else {
            return Err(s3_error!(
                NotImplemented,
                "Only bucket/key copy sources are supported"
            ));
        };
        let meta = self.store.object(bucket, key)?;
        if let Some(ETagCondition::ETag(etag)) = if_match {
            if etag.value() != meta.etag {
                return Err(s3_error!(
                    PreconditionFailed,
                    "At least one of the pre-conditions you specified did not hold"
                ));
            }
        }
        Ok((bucket, key, meta))
    }

    pub(crate) async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let input = req.input;
        check_key(&input.key)?;
        let (src_bucket, src_key, source) =
            self.copy_source(&input.copy_source, input.copy_source_if_match.as_ref())?;
        let replace = input
            .metadata_directive
            .as_ref()
            .is_some_and(|d| d.as_str().eq_ignore_ascii_case(MetadataDirective::REPLACE));
        if !replace && src_bucket == &*input.bucket && src_key == &*input.key {
            return Err(s3_error!(
                InvalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata."
            ));
        }
        let limits = self.limits(&input.bucket);
        let reservation = self.store.reserve(
            &input.bucket,
            Replacing::Object(&input.key),
            source.size,
            limits,
        )?;
        let tmp = self.store.tmp_path();
        let src_path = self.store.data_path(src_bucket, &source.id);
        let hasher = hasher_like(&source.checksums);
        let (size, dst) = (source.size, tmp.clone());
        let copied = blocking(move || copy_range(&src_path, 0, size, &dst, hasher))
            .await
            .inspect_err(|_| {
                let _ = std::fs::remove_file(&tmp);
            })?;
        let headers = if replace {
            content_headers(
                input.content_type,
                input.content_encoding,
                input.content_disposition,
                input.content_language,
                input.cache_control,
                input.metadata,
            )
        } else {
            source.headers.clone()
        };
        let etag = hex(&copied.md5);
        let last_modified_ms = now_ms();
        let (retention, legal_hold) = super::lock::from_headers(
            input.object_lock_mode.as_ref(),
            input.object_lock_retain_until_date.as_ref(),
            input.object_lock_legal_hold_status.as_ref(),
        )
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })?;
        let meta = ObjectMeta {
            key: input.key,
            id: super::meta::new_id(),
            size: copied.size,
            etag: etag.clone(),
            last_modified_ms,
            seq: self.store.next_seq(),
            headers,
            checksums: copied.checksums.clone(),
            parts_count: None,
            version_id: None,
            delete_marker: false,
            retention,
            legal_hold,
        };
        let version_id = self.install(&input.bucket, &tmp, meta, false, None).await?;
        drop(reservation);
        Ok(S3Response::new(CopyObjectOutput {
            version_id,
            copy_object_result: Some(CopyObjectResult {
                e_tag: Some(ETag::Strong(etag)),
                last_modified: Some(timestamp(last_modified_ms)),
                checksum_crc32: copied.checksums.crc32,
                checksum_crc32c: copied.checksums.crc32c,
                checksum_crc64nvme: copied.checksums.crc64nvme,
                checksum_sha1: copied.checksums.sha1,
                checksum_sha256: copied.checksums.sha256,
                ..CopyObjectResult::default()
            }),
            ..CopyObjectOutput::default()
        }))
    }
}
