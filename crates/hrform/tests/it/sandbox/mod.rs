//! Contract tests of the sandbox itself, over real HTTP on 127.0.0.1: each
//! endpoint's envelopes, paging, errors and quirks as `api/*.md` describe
//! them, plus rate limits, faults, the inspection endpoints, the seed format
//! and the `hrform sandbox` command.

mod clockify;
mod connecteam;
mod faults;
mod seed;

use hrform::sandbox::{Options, Sandbox, Seed};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The shared contract-test world (both vendors).
pub(crate) const WORLD: &str = include_str!("../../fixtures/sandbox/world.yaml");
pub(crate) const WS: &str = "64a687e29ae1f428e7ebe303";
pub(crate) const CLOCKIFY_KEY: &str = "sandbox-clockify-key";
pub(crate) const CONNECTEAM_KEY: &str = "sandbox-connecteam-key";

/// A started sandbox and a client for it.
pub(crate) struct Env {
    pub(crate) sandbox: Sandbox,
    pub(crate) http: reqwest::Client,
}

/// What a call returned: status, headers, raw body and the body as JSON
/// (`Null` when empty or not JSON).
pub(crate) struct Got {
    pub(crate) status: StatusCode,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) text: String,
    pub(crate) json: Value,
}

impl Got {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub(crate) async fn start(yaml: &str) -> Env {
    start_with(yaml, Options::default()).await
}

pub(crate) async fn start_with(yaml: &str, options: Options) -> Env {
    let seed = Seed::from_yaml_str(yaml).expect("test seed loads");
    let sandbox = Sandbox::start(seed, options).await.expect("sandbox starts");
    Env {
        sandbox,
        http: reqwest::Client::new(),
    }
}

/// The world fixture with `replace` substituted (to flip a quirk).
pub(crate) fn world_with(from: &str, to: &str) -> String {
    assert!(WORLD.contains(from), "fixture has {from:?}");
    WORLD.replacen(from, to, 1)
}

impl Env {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    /// A raw call with explicit headers.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Body>,
    ) -> Got {
        let mut req = self.http.request(method, self.url(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        match body {
            Some(Body::Json(v)) => req = req.json(&v),
            Some(Body::Raw(s)) => {
                req = req.header("content-type", "application/json").body(s);
            }
            None => {}
        }
        let resp = req.send().await.expect("request completes");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body reads");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Got {
            status,
            headers,
            text,
            json,
        }
    }

    /// Clockify, with the right key; `path` starts with `/v1/`.
    pub(crate) async fn ck(&self, method: Method, path: &str, body: Option<Value>) -> Got {
        self.call(
            method,
            &format!("/api{path}"),
            &[("X-Api-Key", CLOCKIFY_KEY)],
            body.map(Body::Json),
        )
        .await
    }

    pub(crate) async fn ck_get(&self, path: &str) -> Got {
        self.ck(Method::GET, path, None).await
    }

    /// Connecteam, with the right key.
    pub(crate) async fn ct(&self, method: Method, path: &str, body: Option<Value>) -> Got {
        self.call(
            method,
            path,
            &[("X-API-KEY", CONNECTEAM_KEY)],
            body.map(Body::Json),
        )
        .await
    }

    pub(crate) async fn ct_get(&self, path: &str) -> Got {
        self.ct(Method::GET, path, None).await
    }

    pub(crate) async fn state(&self) -> Value {
        self.call(Method::GET, "/__sandbox/state", &[], None)
            .await
            .json
    }

    pub(crate) async fn log(&self) -> Vec<Value> {
        let got = self.call(Method::GET, "/__sandbox/log", &[], None).await;
        got.json["entries"].as_array().cloned().unwrap_or_default()
    }

    /// A Clockify user id by email, from the state.
    pub(crate) async fn ck_user(&self, email: &str) -> String {
        find(&self.state().await["clockify"]["users"], "email", email)["id"]
            .as_str()
            .expect("user id")
            .to_owned()
    }

    /// A Clockify policy id by name, from the state.
    pub(crate) async fn ck_policy(&self, name: &str) -> String {
        find(&self.state().await["clockify"]["policies"], "name", name)["id"]
            .as_str()
            .expect("policy id")
            .to_owned()
    }

    /// A Connecteam user id by email, from the state.
    pub(crate) async fn ct_user(&self, email: &str) -> u64 {
        find(&self.state().await["connecteam"]["users"], "email", email)["id"]
            .as_u64()
            .expect("user id")
    }
}

pub(crate) enum Body {
    Json(Value),
    Raw(String),
}

/// The element of a JSON array whose `key` equals `value`.
pub(crate) fn find<'v>(list: &'v Value, key: &str, value: &str) -> &'v Value {
    list.as_array()
        .and_then(|items| items.iter().find(|i| i[key] == value))
        .unwrap_or_else(|| panic!("no element with {key} = {value} in {list}"))
}
