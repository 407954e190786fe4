//! Trust boundaries (issue 11): each test plays one attack for real, by a
//! pull request (manifests and files beside them) or by an HR system (the
//! data and errors it returns), and asserts that the key, the file's
//! contents and the injected text never appear, and what the user is told
//! instead. Shared here: the loopback servers and helpers; the tests are
//! by class in `http`, `manifests`, `output`, `state` and `identity`.

mod http;
mod identity;
mod manifests;
mod output;
mod state;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::Test;
use crate::hostile::{
    Answer, Hostile, WS, ck_policy, ck_user, clockify, clockify_test, connecteam, connecteam_test,
    ct_user, last_page, ok,
};

/// A key no output may ever show.
const KEY: &str = "k3y-that-must-never-leak-5f0c";

/// One request a [`Loopback`] server received: its request line, headers
/// and body, as raw text.
#[derive(Debug, Clone)]
struct Received {
    line: String,
    raw: String,
}

/// A tiny HTTP/1.1 server on 127.0.0.1 that answers every request with
/// what `answer` returns for its request line, and records everything it
/// receives (connections included).
struct Loopback {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    connections: Arc<Mutex<usize>>,
}

impl Loopback {
    fn start(answer: impl Fn(&str) -> String + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("addr").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(Mutex::new(0));
        let answer = Arc::new(answer);
        {
            let received = Arc::clone(&received);
            let connections = Arc::clone(&connections);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    *connections.lock().unwrap() += 1;
                    let received = Arc::clone(&received);
                    let answer = Arc::clone(&answer);
                    std::thread::spawn(move || serve(stream, &received, &*answer));
                }
            });
        }
        Self {
            port,
            received,
            connections,
        }
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    fn connections(&self) -> usize {
        *self.connections.lock().unwrap()
    }
}

/// Serve requests on one keep-alive connection until the client closes it.
fn serve(
    stream: std::net::TcpStream,
    received: &Mutex<Vec<Received>>,
    answer: &(dyn Fn(&str) -> String + Send + Sync),
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut writer = stream.try_clone().expect("clone stream");
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut raw = line.clone();
        let mut length = 0;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            raw.push_str(&header);
            if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            if header == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        raw.push_str(&String::from_utf8_lossy(&body));
        let line = line.trim_end().to_owned();
        let response = answer(&line);
        received.lock().unwrap().push(Received { line, raw });
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// An HTTP/1.1 response with a JSON body.
fn response(status: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut s = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        s.push_str("content-type: application/json\r\n");
    }
    s.push_str("\r\n");
    s.push_str(body);
    s
}

/// A Clockify provider at `base_url` whose key is in `CLOCKIFY_API_KEY`,
/// with one declared user.
fn clockify_at(base_url: &str) -> String {
    format!(
        "\
providers:
  clockify:
    type: clockify
    workspace_id: 64a687e29ae1f428e7ebe303
    base_url: {base_url}
users:
  - {{ email: ada@example.com, status: active }}
"
    )
}

/// Assert that nothing a run printed holds `needle`.
#[track_caller]
fn never_shown(out: &crate::common::Output, needle: &str) {
    assert!(
        !out.stdout.contains(needle) && !out.stderr.contains(needle),
        "{needle:?} was shown\n--- stdout\n{}\n--- stderr\n{}",
        out.stdout,
        out.stderr
    );
}

/// Writes the sandbox received (every method but GET).
fn writes(t: &Test) -> usize {
    t.sandbox_log()
        .iter()
        .filter(|e| e["method"] != "GET")
        .count()
}
