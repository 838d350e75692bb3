//! Listing objects (v1 and v2): prefix, delimiter (common prefixes), start-after / marker /
//! continuation token, max-keys.

use std::ops::Bound;

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use super::meta::{timestamp, ObjectMeta};
use super::SimS3;

/// One page of a listing.
struct Page {
    objects: Vec<ObjectMeta>,
    prefixes: Vec<String>,
    truncated: bool,
    /// The last key or common prefix on the page (where the next page resumes).
    last: Option<String>,
}

fn page(
    objects: &std::collections::BTreeMap<String, ObjectMeta>,
    prefix: &str,
    delimiter: Option<&str>,
    after: Option<&str>,
    max: usize,
) -> Page {
    let start = match after {
        Some(after) if after >= prefix => Bound::Excluded(after.to_owned()),
        _ => Bound::Included(prefix.to_owned()),
    };
    let mut out = Page {
        objects: Vec::new(),
        prefixes: Vec::new(),
        truncated: false,
        last: None,
    };
    let mut count = 0;
    for (key, meta) in objects.range::<String, _>((start, Bound::Unbounded)) {
        if !key.starts_with(prefix) {
            break;
        }
        let common = delimiter.filter(|d| !d.is_empty()).and_then(|d| {
            key[prefix.len()..]
                .find(d)
                .map(|at| key[..prefix.len() + at + d.len()].to_owned())
        });
        if let Some(common) = common {
            // A common prefix already listed (on this page or an earlier one) is skipped.
            if out.prefixes.last() == Some(&common) || after.is_some_and(|a| common.as_str() <= a) {
                continue;
            }
            if count == max {
                out.truncated = true;
                break;
            }
            out.last = Some(common.clone());
            out.prefixes.push(common);
        } else {
            if count == max {
                out.truncated = true;
                break;
            }
            out.last = Some(key.clone());
            out.objects.push(meta.clone());
        }
        count += 1;
    }
    out
}

/// Keys as the response carries them: percent-encoded when the client asked for
/// `encoding-type=url` (boto3 and the AWS CLI always do).
struct Encoder(bool);

impl Encoder {
    fn of(encoding_type: Option<&EncodingType>) -> Self {
        Self(encoding_type.is_some_and(|e| e.as_str().eq_ignore_ascii_case(EncodingType::URL)))
    }

    fn apply(&self, s: String) -> String {
        if !self.0 {
            return s;
        }
        let mut out = String::with_capacity(s.len());
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    fn opt(&self, s: Option<String>) -> Option<String> {
        s.map(|s| self.apply(s))
    }
}

fn object_entry(meta: ObjectMeta, enc: &Encoder) -> Object {
    Object {
        key: Some(enc.apply(meta.key)),
        size: i64::try_from(meta.size).ok(),
        e_tag: Some(ETag::Strong(meta.etag)),
        last_modified: Some(timestamp(meta.last_modified_ms)),
        storage_class: Some(ObjectStorageClass::from_static(
            ObjectStorageClass::STANDARD,
        )),
        ..Object::default()
    }
}

fn max_keys(requested: Option<i32>) -> usize {
    usize::try_from(requested.unwrap_or(1000).clamp(0, 1000)).unwrap_or(1000)
}

impl SimS3 {
    pub(crate) async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let max = max_keys(input.max_keys);
        let after = match (&input.continuation_token, &input.start_after) {
            (Some(token), _) => Some(token.clone()),
            (None, Some(start)) => Some(start.clone()),
            (None, None) => None,
        };
        let page = self.store.with_bucket(&input.bucket, |b| {
            page(
                &b.objects,
                &prefix,
                input.delimiter.as_deref(),
                after.as_deref(),
                max,
            )
        })?;
        let key_count = page.objects.len() + page.prefixes.len();
        let enc = Encoder::of(input.encoding_type.as_ref());
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: enc.opt(input.prefix),
            delimiter: enc.opt(input.delimiter),
            max_keys: i32::try_from(max).ok(),
            key_count: i32::try_from(key_count).ok(),
            is_truncated: Some(page.truncated),
            continuation_token: input.continuation_token,
            next_continuation_token: if page.truncated { page.last } else { None },
            start_after: enc.opt(input.start_after),
            encoding_type: input.encoding_type,
            contents: Some(
                page.objects
                    .into_iter()
                    .map(|o| object_entry(o, &enc))
                    .collect(),
            ),
            common_prefixes: Some(
                page.prefixes
                    .into_iter()
                    .map(|p| CommonPrefix {
                        prefix: Some(enc.apply(p)),
                    })
                    .collect(),
            ),
            ..ListObjectsV2Output::default()
        }))
    }

    pub(crate) async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let input = req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let max = max_keys(input.max_keys);
        let page = self.store.with_bucket(&input.bucket, |b| {
            page(
                &b.objects,
                &prefix,
                input.delimiter.as_deref(),
                input.marker.as_deref(),
                max,
            )
        })?;
        let enc = Encoder::of(input.encoding_type.as_ref());
        Ok(S3Response::new(ListObjectsOutput {
            name: Some(input.bucket),
            prefix: enc.opt(input.prefix),
            delimiter: enc.opt(input.delimiter),
            marker: enc.opt(input.marker),
            max_keys: i32::try_from(max).ok(),
            is_truncated: Some(page.truncated),
            next_marker: enc.opt(if page.truncated { page.last } else { None }),
            encoding_type: input.encoding_type,
            contents: Some(
                page.objects
                    .into_iter()
                    .map(|o| object_entry(o, &enc))
                    .collect(),
            ),
            common_prefixes: Some(
                page.prefixes
                    .into_iter()
                    .map(|p| CommonPrefix {
                        prefix: Some(enc.apply(p)),
                    })
                    .collect(),
            ),
            ..ListObjectsOutput::default()
        }))
    }
}
