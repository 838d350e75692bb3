//! Listing objects (v2 and v1): prefix, delimiter, pagination, start-after.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns, as in the tests themselves
use crate::s3_common as common;

use aws_sdk_s3::primitives::ByteStream;
use common::*;

async fn fill(s3: &aws_sdk_s3::Client, bucket: &str, keys: &[&str]) {
    for key in keys {
        s3.put_object()
            .bucket(bucket)
            .key(*key)
            .body(ByteStream::from_static(b"data"))
            .send()
            .await
            .unwrap();
    }
}

const KEYS: &[&str] = &["a/1", "a/2", "a/b/3", "b/1", "c", "d/x/y", "e"];

#[tokio::test]
async fn v2_prefix_and_delimiter() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("list").await;
    fill(&s3, "list", KEYS).await;

    let all = s3.list_objects_v2().bucket("list").send().await.unwrap();
    let keys: Vec<_> = all.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, KEYS);
    assert_eq!(all.key_count(), Some(7));
    assert_eq!(all.contents()[0].size(), Some(4));

    let top = s3
        .list_objects_v2()
        .bucket("list")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = top.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<_> = top
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(keys, ["c", "e"]);
    assert_eq!(prefixes, ["a/", "b/", "d/"]);

    let under_a = s3
        .list_objects_v2()
        .bucket("list")
        .prefix("a/")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = under_a.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<_> = under_a
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(keys, ["a/1", "a/2"]);
    assert_eq!(prefixes, ["a/b/"]);

    let after = s3
        .list_objects_v2()
        .bucket("list")
        .start_after("b/1")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = after.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["c", "d/x/y", "e"]);
}

#[tokio::test]
async fn v2_pages_with_continuation_tokens() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("pages").await;
    fill(&s3, "pages", KEYS).await;
    // Pages of 2 with a delimiter: a/, b/, c, d/, e.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket("pages")
            .delimiter("/")
            .max_keys(2)
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(page.key_count().unwrap() <= 2);
        seen.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(str::to_owned)),
        );
        seen.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
        if page.is_truncated() != Some(true) {
            break;
        }
        token = page.next_continuation_token().map(str::to_owned);
    }
    seen.sort();
    assert_eq!(seen, ["a/", "b/", "c", "d/", "e"]);
    assert_eq!(pages, 3);

    // The paginator over all keys, one per page.
    let mut paginator = s3
        .list_objects_v2()
        .bucket("pages")
        .max_keys(1)
        .into_paginator()
        .send();
    let mut keys = Vec::new();
    while let Some(page) = paginator.next().await {
        keys.extend(
            page.unwrap()
                .contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
    }
    assert_eq!(keys, KEYS);
}

#[tokio::test]
async fn v1_marker_paging() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("listv1").await;
    fill(&s3, "listv1", KEYS).await;
    let first = s3
        .list_objects()
        .bucket("listv1")
        .max_keys(3)
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = first.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["a/1", "a/2", "a/b/3"]);
    assert_eq!(first.is_truncated(), Some(true));
    let rest = s3
        .list_objects()
        .bucket("listv1")
        .marker(first.next_marker().unwrap())
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = rest.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["b/1", "c", "d/x/y", "e"]);
    assert_eq!(rest.is_truncated(), Some(false));
    let err = s3
        .list_objects_v2()
        .bucket("nosuch")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchBucket");
}

#[tokio::test]
async fn url_encoding_type_encodes_keys() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("enc").await;
    fill(&s3, "enc", &["dir/a b+c", "plain"]).await;
    let raw = s3.list_objects_v2().bucket("enc").send().await.unwrap();
    let keys: Vec<_> = raw.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["dir/a b+c", "plain"]);
    let encoded = s3
        .list_objects_v2()
        .bucket("enc")
        .encoding_type(aws_sdk_s3::types::EncodingType::Url)
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = encoded.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["dir/a%20b%2Bc", "plain"]);
}
