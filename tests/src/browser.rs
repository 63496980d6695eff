//! A real browser for the tests: Debian's Chromium, headless, opening a page a test serves from
//! an origin of its own; the page posts what it saw back to that origin, where the test reads it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// Where Debian's package puts it (`make test` installs it).
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// A page served on its own port of 127.0.0.1 (its own origin), taking the reports its script
/// posts to `/report`.
#[derive(Debug)]
pub struct PageServer {
    /// `http://127.0.0.1:{port}`: the page's origin, as the browser sends it.
    pub origin: String,
    page: Arc<Mutex<String>>,
    reports: mpsc::Receiver<Value>,
}

impl PageServer {
    /// Serves a blank page until [`PageServer::show`]: a stack that must allow this origin
    /// can be started once its port is known, and the page then names the stack.
    pub async fn start() -> PageServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let origin = format!("http://{}", listener.local_addr().expect("an address"));
        let (sent, reports) = mpsc::channel(8);
        let page: Arc<Mutex<String>> = Arc::default();
        let serving = page.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let html = serving.lock().map(|p| p.clone()).unwrap_or_default();
                tokio::spawn(answer(stream, html, sent.clone()));
            }
        });
        PageServer {
            origin,
            page,
            reports,
        }
    }

    /// What `GET /` answers from now on.
    pub fn show(&self, html: String) {
        if let Ok(mut page) = self.page.lock() {
            *page = html;
        }
    }

    /// The next report the page posts, or a panic naming how long was waited.
    pub async fn report(&mut self, within: Duration) -> Value {
        tokio::time::timeout(within, self.reports.recv())
            .await
            .unwrap_or_else(|_| {
                panic!("the page at {} reported nothing in {within:?}", self.origin)
            })
            .expect("the page server stopped")
    }
}

/// One request to the page server: `GET /` is the page, `POST /report` a report (the page
/// posts it to its own origin: no CORS involved), anything else 404.
async fn answer(mut stream: tokio::net::TcpStream, html: String, reports: mpsc::Sender<Value>) {
    let Some(head) = crate::feeds::request_head(&mut stream).await else {
        return;
    };
    let request_line = head.lines().next().unwrap_or_default().to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())
                .flatten()
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length.min(1 << 20)];
    if stream.read_exact(&mut body).await.is_err() {
        return;
    }
    let (status, content_type, text) =
        if request_line.starts_with("GET / ") || request_line.starts_with("GET /?") {
            ("200 OK", "text/html; charset=utf-8", html)
        } else if request_line.starts_with("POST /report ") {
            let report = serde_json::from_slice(&body).unwrap_or_else(|e| {
                Value::String(format!(
                    "an unreadable report ({e}): {}",
                    String::from_utf8_lossy(&body)
                ))
            });
            let _ = reports.send(report).await;
            ("204 No Content", "text/plain", String::new())
        } else {
            ("404 Not Found", "text/plain", String::new())
        };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
}

/// Headless Chromium with a profile of its own, showing one URL until dropped.
#[derive(Debug)]
pub struct Browser {
    process: Child,
    profile: PathBuf,
}

impl Browser {
    pub fn open(url: &str) -> Browser {
        let profile = std::env::temp_dir().join(format!(
            "holdfast-chromium-{}",
            uuid::Uuid::new_v4().simple()
        ));
        // The flags keep it from reaching out (this machine's network is closed, and a refused
        // update check costs seconds) and let it run as root in a container.
        let process = Command::new(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{CHROMIUM} did not start ({e}): `make test` installs it"));
        Browser { process, profile }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
