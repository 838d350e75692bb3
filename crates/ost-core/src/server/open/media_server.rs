//! Many media servers on one cluster: each media server reads and writes with an S3 user of its
//! own, `<s3_user>-<media_server>`, holding one key, and an S3 identity policy of the plugin's
//! tenant, `<s3_user>-data`, lets those users use the buckets `s3_user` owns. VAST allows two
//! keys per user, so one shared user would cap a domain at two media servers. See "Many media
//! servers" in docs/ARCHITECTURE.md for the design and its failure modes.

use vast_s3_data::DATA_PATH_ACTIONS;

/// The name of a media server's S3 user: `<s3_user>-<media_server>`, the media server's name
/// with every character but ASCII letters, digits, `-`, `_` and `.` replaced by `-` (the
/// characters portable user names are made of).
pub(crate) fn media_server_user(s3_user: &str, media_server: &str) -> String {
    let clean: String = media_server
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{s3_user}-{clean}")
}

/// The name of the identity policy that lets the media servers' users use the plugin's
/// buckets: `<s3_user>-data`.
pub(crate) fn data_policy_name(s3_user: &str) -> String {
    format!("{s3_user}-data")
}

/// The identity policy's document: the data path's actions ([`DATA_PATH_ACTIONS`]) allowed on
/// every bucket and object of the tenant (`arn:aws:s3:::*`; a key maps to one tenant, and the
/// policy belongs to the plugin's). Not per bucket: LSUs made later (by the plugin or an
/// administrator over VMS) are usable at once, and the document never changes, so concurrent
/// opens cannot race on rewriting it.
pub(crate) fn data_policy_document() -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "VastOstMediaServers",
            "Effect": "Allow",
            "Action": DATA_PATH_ACTIONS,
            "Resource": ["arn:aws:s3:::*"],
        }],
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sanitised_and_the_document_is_stable() {
        assert_eq!(
            media_server_user("netbackup-s3", "ms1.example.com"),
            "netbackup-s3-ms1.example.com"
        );
        assert_eq!(
            media_server_user("nb", " media server/2 "),
            "nb-media-server-2"
        );
        assert_eq!(data_policy_name("nb"), "nb-data");
        let doc: serde_json::Value = serde_json::from_str(&data_policy_document()).unwrap();
        assert_eq!(doc["Statement"][0]["Effect"], "Allow");
        assert!(doc["Statement"][0]["Action"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("s3:PutObject")));
        assert_eq!(data_policy_document(), data_policy_document());
    }
}
