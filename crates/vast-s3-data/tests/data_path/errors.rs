//! What an administrator reads when S3 fails: every `DataError` names the call and carries the
//! server's answer (status, code, message) or, when the answer was not S3's XML error document
//! or never came, what there was of it and the SDK's own context. Never the secret key.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crate::canned;

use canned::{canned, client, SECRET};
use vast_s3_data::multipart;

#[tokio::test]
async fn an_s3_error_document_gives_code_status_and_message() {
    let addr = canned(
        "404 Not Found",
        "application/xml",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchUpload</Code>\
         <Message>The specified upload does not exist.</Message><RequestId>r1</RequestId></Error>",
    )
    .await;
    let err = multipart::list_parts(&client(&format!("http://{addr}")), "bkt", "a/b", "up1")
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("S3 ListParts on bkt/a/b failed"), "{text}");
    assert!(
        text.contains("The specified upload does not exist. (NoSuchUpload, HTTP 404)"),
        "{text}"
    );
    assert!(err.is_not_found());
    assert!(!text.contains(SECRET), "{text}");
}

#[tokio::test]
async fn an_answer_that_is_not_an_error_document_is_shown_with_the_sdk_context() {
    let addr = canned(
        "400 Bad Request",
        "text/html",
        "<html><body><h1>Bad Request</h1><p>partNumberMarker must be an integer</p></body></html>",
    )
    .await;
    let err = multipart::list_parts(&client(&format!("http://{addr}")), "bkt", "a/b", "up1")
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("S3 ListParts on bkt/a/b failed"), "{text}");
    assert_eq!(err.status(), Some(400));
    assert!(text.contains("HTTP 400"), "{text}");
    // The server's own words, which is all an administrator has to go on.
    assert!(
        text.contains("partNumberMarker must be an integer"),
        "{text}"
    );
    // The SDK's chain, not its bare "service error".
    assert!(text.contains("SDK: service error: "), "{text}");
    assert!(!text.contains(SECRET), "{text}");
}

#[tokio::test]
async fn no_answer_at_all_carries_the_connection_failure() {
    // A port nothing listens on (bound, then released).
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let err = multipart::list_parts(&client(&format!("http://{addr}")), "bkt", "a/b", "up1")
        .await
        .unwrap_err();
    let text = err.to_string();
    assert_eq!(err.status(), None);
    assert!(
        text.starts_with("S3 ListParts on bkt/a/b failed: dispatch failure"),
        "{text}"
    );
    assert!(
        text.to_lowercase().contains("connection refused"),
        "the connector's own cause: {text}"
    );
    assert!(!text.contains(SECRET), "{text}");
}
