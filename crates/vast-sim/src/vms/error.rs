//! API errors and the JSON bodies VMS answers them with (Django REST Framework shapes).

use hyper::{Response, StatusCode};
use serde_json::{json, Map, Value};

use crate::http::{full_body, json_response, FaceBody};

/// The `detail` VMS (simplejwt) gives for an expired or otherwise invalid JWT.
pub(crate) const TOKEN_INVALID: &str = "Token is invalid or expired";

/// One failed API call: its status and JSON body.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
}

impl ApiError {
    fn detail(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({ "detail": detail.into() }),
        }
    }

    /// 404 `{"detail":"Not found."}`.
    pub(crate) fn not_found() -> Self {
        Self::detail(StatusCode::NOT_FOUND, "Not found.")
    }

    /// 400 with a `detail` message.
    pub(crate) fn bad_request(detail: impl Into<String>) -> Self {
        Self::detail(StatusCode::BAD_REQUEST, detail)
    }

    /// 400 `{"<field>": ["<message>"]}` (a field validation error).
    pub(crate) fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        errors.into_error()
    }

    /// 409 `{"code": …, "detail": …}`.
    pub(crate) fn conflict(code: &str, detail: impl Into<String>) -> Self {
        Self {
            status: StatusCode::CONFLICT,
            body: json!({ "code": code, "detail": detail.into() }),
        }
    }

    /// 401 with a `detail` message (missing or wrong credentials).
    pub(crate) fn unauthorized(detail: impl Into<String>) -> Self {
        Self::detail(StatusCode::UNAUTHORIZED, detail)
    }

    /// 403 `{"detail":"Token is invalid or expired"}` (an expired or invalid access token).
    pub(crate) fn token_invalid() -> Self {
        Self::detail(StatusCode::FORBIDDEN, TOKEN_INVALID)
    }

    /// 403 RBAC denial, with `code: permission_denied`.
    pub(crate) fn permission_denied() -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            body: json!({
                "detail": "You do not have permission to perform this action.",
                "code": "permission_denied",
            }),
        }
    }

    /// 405 `Method "X" not allowed.`
    pub(crate) fn method_not_allowed(method: &hyper::Method) -> Self {
        Self::detail(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("Method \"{method}\" not allowed."),
        )
    }

    /// 503 with a plain JSON string body (as `/apitokens/` declares it).
    pub(crate) fn unavailable_string(message: &str) -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            body: Value::String(message.to_owned()),
        }
    }

    /// 500 with a `detail` message (the simulator itself failed, e.g. saving state).
    pub(crate) fn internal(detail: impl Into<String>) -> Self {
        Self::detail(StatusCode::INTERNAL_SERVER_ERROR, detail)
    }
}

/// Field validation errors gathered over a whole request body.
#[derive(Debug, Default)]
pub(crate) struct FieldErrors(Map<String, Value>);

impl FieldErrors {
    /// Records one message against a field.
    pub(crate) fn add(&mut self, field: &str, message: impl Into<String>) {
        let entry = self
            .0
            .entry(field.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = entry {
            list.push(Value::String(message.into()));
        }
    }

    /// `Ok` when nothing was recorded, else the 400 error.
    pub(crate) fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.into_error())
        }
    }

    fn into_error(self) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            body: Value::Object(self.0),
        }
    }
}

/// A successful API answer: a status and a JSON body (`None` for 204).
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) body: Option<Value>,
}

/// Only the status: bodies may hold a secret shown once (keys, tokens).
impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl Reply {
    /// 200 with a body.
    pub(crate) fn ok(body: Value) -> Self {
        Self::with(StatusCode::OK, body)
    }

    /// 201 with a body.
    pub(crate) fn created(body: Value) -> Self {
        Self::with(StatusCode::CREATED, body)
    }

    /// 204, no body.
    pub(crate) fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            body: None,
        }
    }

    /// Any status with a body.
    pub(crate) fn with(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
        }
    }
}

/// What every API call returns.
pub(crate) type ApiResult = Result<Reply, ApiError>;

/// Turns a call's outcome into an HTTP response.
pub(crate) fn into_response(result: ApiResult) -> Response<FaceBody> {
    match result {
        Ok(Reply {
            status,
            body: Some(body),
        }) => json_response(status, &body),
        Ok(Reply { status, body: None }) => {
            let mut response = Response::new(full_body(bytes::Bytes::new()));
            *response.status_mut() = status;
            response
        }
        Err(error) => {
            let mut response = json_response(error.status, &error.body);
            if error.status == StatusCode::UNAUTHORIZED {
                response.headers_mut().insert(
                    hyper::header::WWW_AUTHENTICATE,
                    hyper::header::HeaderValue::from_static("Bearer realm=\"api\""),
                );
            }
            response
        }
    }
}
