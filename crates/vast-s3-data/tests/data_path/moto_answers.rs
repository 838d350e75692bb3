//! Answers of moto_server (the second S3 implementation CI runs the plugin against) that differ
//! from AWS's and VAST's, captured byte for byte from moto 5.2.5, and what the data path makes
//! of them.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crate::canned;

use canned::{canned, client};
use vast_s3_data::multipart;

/// moto's ListParts answer: root `ListPartsResponse` (S3's is `ListPartsResult`), no part
/// checksums.
const MOTO_LIST_PARTS: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ListPartsResponse xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>bkt2</Bucket><Key>netbackup/img_1/1700000000/data/000000</Key><UploadId>urzQTwyYPE7nQplasmMU9hawm5c1JYYepBk4O2Zmgj8dDhroHQ4Hlm29g</UploadId><PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>2</NextPartNumberMarker><MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated><Part><PartNumber>1</PartNumber><LastModified>2026-11-30T16:38:34.000Z</LastModified><ETag>\"4f08eef4096726bff1125e1b1b734644\"</ETag><Size>5242880</Size></Part><Part><PartNumber>2</PartNumber><LastModified>2026-11-30T16:38:35.000Z</LastModified><ETag>\"9a0364b9e99bb480dd25e1f0284c8555\"</ETag><Size>5242880</Size></Part><Initiator><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>webfile</DisplayName></Initiator><Owner><DisplayName>webfile</DisplayName><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID></Owner><StorageClass>STANDARD</StorageClass></ListPartsResponse>";

#[tokio::test]
async fn list_parts_reads_motos_answer() {
    let addr = canned("200 OK", "application/xml", MOTO_LIST_PARTS).await;
    let parts = multipart::list_parts(
        &client(&format!("http://{addr}")),
        "bkt2",
        "netbackup/img_1/1700000000/data/000000",
        "urzQTwyYPE7nQplasmMU9hawm5c1JYYepBk4O2Zmgj8dDhroHQ4Hlm29g",
    )
    .await
    .expect("moto's ListParts answer is read");
    let seen: Vec<_> = parts
        .iter()
        .map(|p| (p.part_number, p.size, p.etag.as_str(), p.crc32c))
        .collect();
    assert_eq!(
        seen,
        vec![
            (1, 5_242_880, "\"4f08eef4096726bff1125e1b1b734644\"", None),
            (2, 5_242_880, "\"9a0364b9e99bb480dd25e1f0284c8555\"", None),
        ]
    );
}

#[tokio::test]
async fn a_list_parts_answer_that_is_not_a_listing_is_still_an_error_with_its_cause() {
    let addr = canned(
        "200 OK",
        "application/xml",
        "<?xml version=\"1.0\"?><SomethingElse><Bucket>b</Bucket></SomethingElse>",
    )
    .await;
    let err = multipart::list_parts(&client(&format!("http://{addr}")), "b", "k", "u")
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("SomethingElse") && text.contains("HTTP 200"),
        "the SDK's reason (the unexpected root) and the status: {text}"
    );
}
