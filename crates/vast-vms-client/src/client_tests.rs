//! Behaviour of the client against scripted loopback servers: retries, token renewal, headers,
//! paging. (The full API is exercised against vast-sim in `tests/`.)

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use futures::StreamExt;
use http::Method;
use serde_json::json;

use crate::mock::{MockServer, Reply, Seen};
use crate::{Error, NewView, Query, RetryPolicy, VmsClient};

fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    }
}

fn client(server: &MockServer) -> VmsClient {
    VmsClient::builder(server.url())
        .password("admin", "s3cr3t-pw")
        .retry(fast_retries(4))
        .build()
        .unwrap()
}

/// A VMS that issues opaque tokens (`acc-N`/`ref-N`) and accepts only the newest access token.
#[derive(Default)]
struct TokenDesk {
    logins: usize,
    refreshes: usize,
    issued: usize,
    access: String,
    refresh: String,
    refuse_refresh: bool,
    lifetime: Option<u64>,
    /// Answer `{access}` only, as a VMS that does not rotate refresh tokens (the refresh
    /// token issued before stays valid).
    omit_refresh: bool,
}

impl TokenDesk {
    fn issue(&mut self) -> Reply {
        self.issued += 1;
        self.access = match self.lifetime {
            Some(secs) => {
                jwt(&json!({"iat": 1_000_000, "exp": 1_000_000 + secs, "n": self.issued}))
            }
            None => format!("acc-{}", self.issued),
        };
        if self.omit_refresh {
            return Reply::json(200, json!({ "access": self.access }));
        }
        self.refresh = format!("ref-{}", self.issued);
        Reply::json(200, json!({"access": self.access, "refresh": self.refresh}))
    }

    fn serve(&mut self, seen: &Seen, ok: impl FnOnce() -> Reply) -> Reply {
        let body: serde_json::Value = serde_json::from_str(&seen.body).unwrap_or_default();
        match seen.path.as_str() {
            "/api/token/" => {
                self.logins += 1;
                if body["password"] == "s3cr3t-pw" {
                    self.issue()
                } else {
                    Reply::json(
                        401,
                        json!({"detail": "No active account found with the given credentials"}),
                    )
                }
            }
            "/api/token/refresh/" => {
                self.refreshes += 1;
                if !self.refuse_refresh && body["refresh"] == self.refresh.as_str() {
                    self.issue()
                } else {
                    Reply::json(
                        401,
                        json!({"detail": "Token is invalid or expired", "code": "token_not_valid"}),
                    )
                }
            }
            _ if seen.header("authorization") == Some(&format!("Bearer {}", self.access)) => ok(),
            _ => Reply::json(403, json!({"detail": "Token is invalid or expired"})),
        }
    }

    /// Invalidates every token issued so far (like `expire_tokens_now`).
    fn expire_all(&mut self) {
        self.access = "expired".to_owned();
    }
}

fn jwt(claims: &serde_json::Value) -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.c2ln",
        engine.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
        engine.encode(claims.to_string())
    )
}

async fn token_server(desk: Arc<Mutex<TokenDesk>>) -> MockServer {
    MockServer::start(move |seen| {
        desk.lock()
            .unwrap()
            .serve(seen, || Reply::json(200, json!([{"id": 1, "path": "/a"}])))
    })
    .await
}

#[test]
fn handles_and_streams_are_shareable_across_tasks() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<VmsClient>();
    send_sync::<crate::Collection<crate::View>>();
    send_sync::<Error>();
    let client = VmsClient::builder("http://127.0.0.1:9").build().unwrap();
    send(&client.views().list(&Query::new()));
    send(&client.views().stream(&Query::new()));
    send(&client.bootstrap().ensure_tenant("t"));
}

#[tokio::test]
async fn a_503_burst_is_retried_then_succeeds() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let server = MockServer::start(move |_| {
        if counter.fetch_add(1, Ordering::SeqCst) < 2 {
            Reply::json(503, json!({"detail": "busy"}))
        } else {
            Reply::json(200, json!([{"id": 7, "name": "c1"}]))
        }
    })
    .await;
    let client = VmsClient::builder(server.url())
        .basic("admin", "pw")
        .retry(fast_retries(4))
        .build()
        .unwrap();
    let clusters = client.clusters().list(&Query::new()).await.unwrap();
    assert_eq!(clusters[0].id, 7);
    assert_eq!(server.count(&Method::GET, "/api/latest/clusters/"), 3);
}

#[tokio::test]
async fn retries_are_bounded_and_the_error_names_the_call() {
    let server =
        MockServer::start(|_| Reply::json(503, json!({"detail": "down for maintenance"}))).await;
    let client = VmsClient::builder(server.url())
        .api_token("tok")
        .retry(fast_retries(3))
        .build()
        .unwrap();
    let err = client.views().get(5).await.unwrap_err();
    assert!(
        matches!(&err, Error::Server { detail, .. } if detail == "down for maintenance"),
        "{err}"
    );
    assert_eq!(err.status(), Some(503));
    let call = err.call().unwrap();
    assert_eq!(
        (call.method.clone(), call.path.as_str()),
        (Method::GET, "/api/latest/views/5/")
    );
    assert_eq!(server.count(&Method::GET, "/api/latest/views/5/"), 3);
}

#[tokio::test]
async fn a_post_is_not_retried_on_503() {
    let server = MockServer::start(|_| Reply::json(503, json!({"detail": "busy"}))).await;
    let client = VmsClient::builder(server.url())
        .api_token("tok")
        .retry(fast_retries(4))
        .build()
        .unwrap();
    let err = client
        .views()
        .create(&NewView::bucket("b", "/b", "u", 2))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(server.count(&Method::POST, "/api/latest/views/"), 1);
}

#[tokio::test]
async fn connection_refused_is_retried_then_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = VmsClient::builder(format!("http://{addr}"))
        .api_token("tok")
        .retry(fast_retries(2))
        .build()
        .unwrap();
    let err = client.clusters().list(&Query::new()).await.unwrap_err();
    assert!(
        matches!(err, Error::Transport { connect: true, .. }),
        "{err}"
    );
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let server = MockServer::start(|_| Reply {
        status: 200,
        body: "[]".to_owned(),
        delay: Some(Duration::from_secs(5)),
    })
    .await;
    let client = VmsClient::builder(server.url())
        .api_token("tok")
        .timeout(Duration::from_millis(100))
        .retry(fast_retries(2))
        .build()
        .unwrap();
    let err = client.tenants().list(&Query::new()).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    assert_eq!(server.count(&Method::GET, "/api/latest/tenants/"), 2);
}

#[tokio::test]
async fn concurrent_callers_share_one_refresh() {
    let desk = Arc::new(Mutex::new(TokenDesk::default()));
    let server = token_server(desk.clone()).await;
    let client = client(&server);
    client.login().await.unwrap();
    desk.lock().unwrap().expire_all();

    let calls: Vec<_> = (0..16)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.views().list(&Query::new()).await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap()[0].path, "/a");
    }
    let desk = desk.lock().unwrap();
    assert_eq!((desk.logins, desk.refreshes), (1, 1));
}

#[tokio::test]
async fn a_refresh_answer_without_a_refresh_token_keeps_the_one_in_use() {
    let desk = Arc::new(Mutex::new(TokenDesk::default()));
    let server = token_server(desk.clone()).await;
    let client = client(&server);
    client.login().await.unwrap();
    desk.lock().unwrap().omit_refresh = true;
    for _ in 0..3 {
        desk.lock().unwrap().expire_all();
        assert_eq!(client.views().list(&Query::new()).await.unwrap().len(), 1);
    }
    let desk = desk.lock().unwrap();
    assert_eq!(
        (desk.logins, desk.refreshes),
        (1, 3),
        "refreshed with ref-1 each time"
    );
}

#[tokio::test]
async fn a_login_answer_without_a_refresh_token_means_logging_in_again() {
    let desk = Arc::new(Mutex::new(TokenDesk {
        omit_refresh: true,
        ..TokenDesk::default()
    }));
    let server = token_server(desk.clone()).await;
    let client = client(&server);
    client.login().await.unwrap();
    desk.lock().unwrap().expire_all();
    assert_eq!(client.views().list(&Query::new()).await.unwrap().len(), 1);
    let desk = desk.lock().unwrap();
    // No refresh call with an empty token: a second password login.
    assert_eq!((desk.logins, desk.refreshes), (2, 0));
    assert_eq!(
        server.count(&Method::POST, "/api/token/refresh/"),
        0,
        "an empty refresh token is never sent"
    );
}

#[tokio::test]
async fn a_refused_refresh_token_leads_to_a_new_login() {
    let desk = Arc::new(Mutex::new(TokenDesk::default()));
    let server = token_server(desk.clone()).await;
    let client = client(&server);
    assert_eq!(client.views().list(&Query::new()).await.unwrap().len(), 1);
    {
        let mut desk = desk.lock().unwrap();
        desk.expire_all();
        desk.refuse_refresh = true;
    }
    assert_eq!(client.views().list(&Query::new()).await.unwrap().len(), 1);
    let desk = desk.lock().unwrap();
    assert_eq!((desk.logins, desk.refreshes), (2, 1));
}

#[tokio::test]
async fn a_short_lived_token_is_refreshed_before_it_expires() {
    let desk = Arc::new(Mutex::new(TokenDesk {
        lifetime: Some(1),
        ..TokenDesk::default()
    }));
    let server = token_server(desk.clone()).await;
    let client = client(&server);
    client.login().await.unwrap();
    tokio::time::sleep(Duration::from_millis(900)).await;
    client.views().list(&Query::new()).await.unwrap();
    assert_eq!(desk.lock().unwrap().refreshes, 1);
    // The refresh happened before the call, so no call was rejected.
    let rejected = server
        .seen()
        .iter()
        .filter(|s| s.path.starts_with("/api/latest/views/"))
        .count();
    assert_eq!(rejected, 1);
}

#[tokio::test]
async fn a_wrong_password_fails_once_without_retries() {
    let desk = Arc::new(Mutex::new(TokenDesk::default()));
    let server = token_server(desk.clone()).await;
    let client = VmsClient::builder(server.url())
        .password("admin", "wrong-password-123")
        .retry(fast_retries(4))
        .build()
        .unwrap();
    let err = client.views().list(&Query::new()).await.unwrap_err();
    assert!(matches!(err, Error::AuthFailed { .. }), "{err}");
    assert_eq!(err.call().unwrap().path, "/api/token/");
    let shown = format!("{err} {err:?} {client:?}");
    assert!(!shown.contains("wrong-password-123"), "{shown}");
    assert_eq!(desk.lock().unwrap().logins, 1);
    assert_eq!(server.count(&Method::GET, "/api/"), 0);
}

#[tokio::test]
async fn permission_denied_is_not_retried_or_renewed() {
    let desk = Arc::new(Mutex::new(TokenDesk::default()));
    let script_desk = desk.clone();
    let server = MockServer::start(move |seen| {
        script_desk.lock().unwrap().serve(seen, || {
            Reply::json(
                403,
                json!({"detail": "permission_denied: missing Create on Security realm"}),
            )
        })
    })
    .await;
    let client = client(&server);
    let err = client.users().delete(4).await.unwrap_err();
    assert!(matches!(err, Error::PermissionDenied { .. }), "{err}");
    assert_eq!(server.count(&Method::DELETE, "/api/latest/users/4/"), 1);
    let desk = desk.lock().unwrap();
    assert_eq!((desk.logins, desk.refreshes), (1, 0));
}

#[tokio::test]
async fn every_call_carries_the_standard_headers() {
    let server = MockServer::start(|_| Reply::json(200, json!([]))).await;
    let client = VmsClient::builder(format!("{}/", server.url()))
        .basic("admin", "123456")
        .api_version("v5")
        .tenant("tenant-a")
        .build()
        .unwrap();
    client
        .views()
        .list(&Query::new().filter("bucket", "b1"))
        .await
        .unwrap();
    let seen = &server.seen()[0];
    assert_eq!(seen.path, "/api/v5/views/?bucket=b1");
    assert_eq!(seen.header("user-agent"), Some(crate::DEFAULT_USER_AGENT));
    assert!(crate::DEFAULT_USER_AGENT.starts_with("vast-ost/"));
    assert_eq!(seen.header("x-tenant-name"), Some("tenant-a"));
    assert_eq!(seen.header("authorization"), Some("Basic YWRtaW46MTIzNDU2"));
    assert_eq!(seen.header("accept"), Some("application/json"));

    let token_client = VmsClient::builder(server.url())
        .api_token("tok-1")
        .unversioned()
        .build()
        .unwrap();
    token_client.quotas().list(&Query::new()).await.unwrap();
    let seen = &server.seen()[1];
    assert_eq!(seen.path, "/api/quotas/");
    assert_eq!(seen.header("authorization"), Some("Api-Token tok-1"));
    assert_eq!(seen.header("x-tenant-name"), None);
}

#[tokio::test]
async fn lists_follow_next_links_on_the_configured_host() {
    let server = MockServer::start(|seen| {
        let page = |n: u64, next: Option<&str>| {
            Reply::json(
                200,
                json!({"count": 3, "next": next, "previous": null,
                       "results": [{"id": n, "name": format!("t{n}")}]}),
            )
        };
        match seen.path.as_str() {
            "/api/latest/tenants/?page_size=1" => page(
                1,
                Some("https://10.255.0.1/api/latest/tenants/?page=2&page_size=1"),
            ),
            "/api/latest/tenants/?page=2&page_size=1" => page(
                2,
                Some("https://10.255.0.1/api/latest/tenants/?page=3&page_size=1"),
            ),
            "/api/latest/tenants/?page=3&page_size=1" => page(3, None),
            _ => Reply::json(404, json!({"detail": "Not found."})),
        }
    })
    .await;
    let client = VmsClient::builder(server.url())
        .api_token("t")
        .build()
        .unwrap();
    let query = Query::new().page_size(1);
    let names: Vec<String> = client
        .tenants()
        .list(&query)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["t1", "t2", "t3"]);
    let pages: Vec<_> = client.tenants().pages(&query).collect().await;
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[0].as_ref().unwrap().count, Some(3));
}

#[tokio::test]
async fn close_logs_out_and_the_next_call_logs_in_again() {
    let desk = Arc::new(Mutex::new(TokenDesk::default()));
    let script_desk = desk.clone();
    let server = MockServer::start(move |seen| {
        if seen.path == "/api/latest/logout/" {
            return Reply::json(201, json!({"id": 1, "username": "admin"}));
        }
        script_desk.lock().unwrap().serve(seen, || {
            Reply::json(
                200,
                json!({"id": 1, "username": "admin", "user_type": "SUPER_ADMIN"}),
            )
        })
    })
    .await;
    let client = client(&server);
    assert_eq!(client.whoami().await.unwrap().username, "admin");
    client.close().await.unwrap();
    let logout = server
        .seen()
        .into_iter()
        .find(|s| s.path == "/api/latest/logout/")
        .unwrap();
    assert!(logout
        .header("authorization")
        .unwrap()
        .starts_with("Bearer acc-"));
    client.whoami().await.unwrap();
    assert_eq!(desk.lock().unwrap().logins, 2);
}

#[tokio::test]
async fn https_verifies_against_the_ca_bundle_and_refuses_otherwise() {
    let (server, pem) = MockServer::start_tls(|_| Reply::json(200, json!([{"id": 1}]))).await;
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("ca.pem");
    std::fs::write(&bundle, pem).unwrap();

    let trusted = VmsClient::builder(server.https_url())
        .api_token("tok")
        .ca_bundle(&bundle)
        .build()
        .unwrap();
    assert_eq!(
        trusted.clusters().list(&Query::new()).await.unwrap()[0].id,
        1
    );

    let untrusted = VmsClient::builder(server.https_url())
        .api_token("tok")
        .retry(fast_retries(1))
        .build()
        .unwrap();
    let err = untrusted.clusters().list(&Query::new()).await.unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err}");
    assert!(!err.is_transient());
    assert!(err.to_string().contains("certificate"), "{err}");
    assert_eq!(
        server.seen().len(),
        1,
        "the refused client must not get a request through"
    );

    let insecure = VmsClient::builder(server.https_url())
        .api_token("tok")
        .insecure(true)
        .build()
        .unwrap();
    assert_eq!(
        insecure.clusters().list(&Query::new()).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn an_https_url_never_falls_back_to_plain_http() {
    let server = MockServer::start(|_| Reply::json(200, json!([]))).await;
    let client = VmsClient::builder(server.https_url())
        .api_token("tok")
        .retry(fast_retries(1))
        .build()
        .unwrap();
    assert!(client.clusters().list(&Query::new()).await.is_err());
    assert!(server.seen().is_empty());
}
