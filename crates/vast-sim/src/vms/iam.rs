//! The IAM-style JSON document of an S3 identity policy (`/s3policies/`'s `policy` string) and
//! how it decides one S3 request.
//!
//! Evaluated: `Statement` (one object or a list), `Effect` (`Allow` / `Deny`), `Action` (a
//! string or a list; `s3:*`, `*` and `?` wildcards, compared case-insensitively) and
//! `Resource` (a string or a list of ARNs, `arn:aws:s3:::bucket` for bucket requests and
//! `arn:aws:s3:::bucket/key` for object requests; `*` matches any run of characters, `/`
//! included, as in IAM). Not evaluated: `NotAction`, `NotResource` and `Condition`: a
//! statement that carries one of them never matches (an assumption: the plugin writes none).

use serde_json::Value;

/// What a policy says about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// A statement allows it and none denies it.
    Allow,
    /// A statement denies it (a Deny wins over every Allow).
    Deny,
    /// No statement matches.
    NotApplicable,
}

/// One request as a policy sees it: `s3:<Action>` on a bucket, or on an object of it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Request<'a> {
    /// `s3:GetObject`, `s3:ListBucket`, ...
    pub(crate) action: &'a str,
    /// The bucket.
    pub(crate) bucket: &'a str,
    /// The object key, for object requests.
    pub(crate) key: Option<&'a str>,
}

impl Request<'_> {
    /// The request's resource ARN.
    fn arn(&self) -> String {
        match self.key {
            Some(key) => format!("arn:aws:s3:::{}/{key}", self.bucket),
            None => format!("arn:aws:s3:::{}", self.bucket),
        }
    }
}

/// Why a policy document is refused.
pub(crate) fn validate(text: &str) -> Result<(), String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let statements = statements(&doc).ok_or("no Statement")?;
    for s in statements {
        match s.get("Effect").and_then(Value::as_str) {
            Some("Allow" | "Deny") => {}
            _ => return Err("every statement needs Effect Allow or Deny".to_owned()),
        }
        if s.get("Action").is_none() && s.get("NotAction").is_none() {
            return Err("every statement needs an Action".to_owned());
        }
    }
    Ok(())
}

/// What the document `text` says about `request` (an unreadable document says nothing).
pub(crate) fn decide(text: &str, request: &Request<'_>) -> Decision {
    let Ok(doc) = serde_json::from_str::<Value>(text) else {
        return Decision::NotApplicable;
    };
    let arn = request.arn();
    let mut allowed = false;
    for s in statements(&doc).unwrap_or_default() {
        let unsupported = ["NotAction", "NotResource", "Condition"]
            .iter()
            .any(|f| s.get(*f).is_some());
        if unsupported
            || !any_matches(s.get("Action"), |p| {
                glob(
                    &p.to_ascii_lowercase(),
                    &request.action.to_ascii_lowercase(),
                )
            })
            || !any_matches(s.get("Resource"), |p| glob(p, &arn))
        {
            continue;
        }
        match s.get("Effect").and_then(Value::as_str) {
            Some("Deny") => return Decision::Deny,
            Some("Allow") => allowed = true,
            _ => {}
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::NotApplicable
    }
}

fn statements(doc: &Value) -> Option<Vec<&Value>> {
    match doc.get("Statement")? {
        Value::Array(items) => Some(items.iter().collect()),
        one @ Value::Object(_) => Some(vec![one]),
        _ => None,
    }
}

/// Whether a string-or-list field has an entry `matches` accepts.
fn any_matches(field: Option<&Value>, matches: impl Fn(&str) -> bool) -> bool {
    match field {
        Some(Value::String(s)) => matches(s),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).any(matches),
        _ => false,
    }
}

/// IAM wildcards: `*` any run of characters (`/` included), `?` one character.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["s3:Get*","s3:ListBucket"],"Resource":["arn:aws:s3:::b1","arn:aws:s3:::b1/*"]},
        {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b2*"},
        {"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b2/keep/*"}]}"#;

    fn req<'a>(action: &'a str, bucket: &'a str, key: Option<&'a str>) -> Request<'a> {
        Request {
            action,
            bucket,
            key,
        }
    }

    #[test]
    fn allow_deny_and_wildcards() {
        assert_eq!(
            decide(DOC, &req("s3:GetObject", "b1", Some("a/b"))),
            Decision::Allow
        );
        assert_eq!(
            decide(DOC, &req("S3:getobject", "b1", Some("x"))),
            Decision::Allow
        );
        assert_eq!(
            decide(DOC, &req("s3:ListBucket", "b1", None)),
            Decision::Allow
        );
        assert_eq!(
            decide(DOC, &req("s3:PutObject", "b1", Some("x"))),
            Decision::NotApplicable
        );
        assert_eq!(
            decide(DOC, &req("s3:GetObject", "b3", Some("x"))),
            Decision::NotApplicable
        );
        assert_eq!(
            decide(DOC, &req("s3:DeleteObject", "b2", Some("a"))),
            Decision::Allow
        );
        assert_eq!(
            decide(DOC, &req("s3:DeleteObject", "b2", Some("keep/a"))),
            Decision::Deny
        );
    }

    #[test]
    fn globs_and_validation() {
        assert!(glob("arn:aws:s3:::*", "arn:aws:s3:::b/k/e/y"));
        assert!(glob("a?c*", "abcdef"));
        assert!(!glob("a?c", "ac"));
        assert!(glob("*", ""));
        assert!(validate(DOC).is_ok());
        assert!(validate("{").is_err());
        assert!(validate(r#"{"Statement":[{"Effect":"Maybe","Action":"s3:*"}]}"#).is_err());
        assert_eq!(
            decide(
                r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{}}}"#,
                &req("s3:GetObject", "b", Some("k"))
            ),
            Decision::NotApplicable
        );
    }
}
