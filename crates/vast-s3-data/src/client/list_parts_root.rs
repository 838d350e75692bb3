//! ListParts answers whose XML root is `ListPartsResponse`.
//!
//! S3 names the root of a ListParts answer `ListPartsResult`; moto_server (an S3 implementation
//! used as a second reference in CI) names it `ListPartsResponse`. The SDK refuses any other root
//! ("encountered invalid XML root") and reports the 200 answer as an unhandled service error, so
//! resuming a checkpointed image failed there. This interceptor, attached to ListParts calls
//! only, renames that one root element of a successful answer the SDK could not read and lets
//! the SDK's own deserializer read it again. Any other answer is left exactly as it came.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextMut;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::client::ser_de::{DeserializeResponse, SharedResponseDeserializer};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;

/// The root element S3 documents for ListParts.
const RESULT: &str = "ListPartsResult";
/// The root element moto_server sends instead.
const RESPONSE: &str = "ListPartsResponse";

/// Re-reads a successful ListParts answer rooted at `ListPartsResponse` as `ListPartsResult`.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ListPartsRoot;

impl Intercept for ListPartsRoot {
    fn name(&self) -> &'static str {
        "ListPartsRoot"
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if !matches!(context.output_or_error(), Some(Err(_))) {
            return Ok(());
        }
        let Some(response) = context.response() else {
            return Ok(());
        };
        if !response.status().is_success() {
            return Ok(());
        }
        let Some(fixed) = response.body().bytes().and_then(rename_root) else {
            return Ok(());
        };
        let Some(deserializer) = cfg.load::<SharedResponseDeserializer>() else {
            return Ok(());
        };
        let mut again = HttpResponse::new(response.status(), SdkBody::from(fixed));
        *again.headers_mut() = response.headers().clone();
        let reread = deserializer.deserialize_nonstreaming_with_config(&again, cfg);
        if let Some(slot) = context.output_or_error_mut() {
            *slot = reread;
        }
        Ok(())
    }
}

/// The body with its root element `ListPartsResponse` (opening and closing tag) renamed to
/// `ListPartsResult`; `None` when the root is anything else.
fn rename_root(body: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(body).ok()?;
    let start = root_start(text)?;
    let after = &text[start + 1..];
    if !after.starts_with(RESPONSE) || !after[RESPONSE.len()..].starts_with(['>', ' ', '/']) {
        return None;
    }
    let close = format!("</{RESPONSE}>");
    let end = text.rfind(&close)?;
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..start + 1]);
    out.push_str(RESULT);
    out.push_str(&text[start + 1 + RESPONSE.len()..end]);
    out.push_str(&format!("</{RESULT}>"));
    out.push_str(&text[end + close.len()..]);
    Some(out.into_bytes())
}

/// Byte index of the `<` that opens the root element (after the XML declaration, comments and
/// processing instructions).
fn root_start(text: &str) -> Option<usize> {
    let mut from = 0;
    loop {
        let at = from + text[from..].find('<')?;
        let rest = &text[at..];
        if rest.starts_with("<?") {
            from = at + rest.find("?>")? + 2;
        } else if rest.starts_with("<!--") {
            from = at + rest.find("-->")? + 3;
        } else {
            return Some(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn motos_root_is_renamed() {
        let body = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ListPartsResponse xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>b</Bucket><Part><PartNumber>1</PartNumber></Part></ListPartsResponse>";
        let fixed = String::from_utf8(rename_root(body.as_bytes()).unwrap()).unwrap();
        assert_eq!(
            fixed,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ListPartsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>b</Bucket><Part><PartNumber>1</PartNumber></Part></ListPartsResult>"
        );
    }

    #[test]
    fn other_roots_are_left_alone() {
        for body in [
            "<?xml version=\"1.0\"?><ListPartsResult><Bucket>b</Bucket></ListPartsResult>",
            "<Error><Code>NoSuchUpload</Code></Error>",
            "<ListPartsResponseX></ListPartsResponseX>",
            "not xml",
        ] {
            assert_eq!(rename_root(body.as_bytes()), None, "{body}");
        }
    }
}
