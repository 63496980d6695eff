//! Calendar feeds served for the tests, with ETags and misbehaviours on demand, and feeds in the
//! shapes the platforms export.

use std::sync::Arc;

/// A request's head (its line and headers) read off `stream` a byte at a time, so that the body
/// is left unread; `None` when the peer went before it ended.
pub(crate) async fn request_head(stream: &mut tokio::net::TcpStream) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16_384 {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&head).to_string())
}

/// A calendar feed served on 127.0.0.1 for the tests (plain http, which the tests' settings
/// allow for loopback only): each path answers what the test last set, with an `ETag`, a
/// `304` to a matching `If-None-Match`, and misbehaviours on demand.
#[derive(Debug, Clone)]
pub struct FeedServer {
    pub base_url: String,
    feeds: Arc<std::sync::Mutex<std::collections::HashMap<String, FeedReply>>>,
    /// Every request path seen, with the `If-None-Match` it carried.
    pub requests: Arc<std::sync::Mutex<Vec<FeedRequest>>>,
}

/// A request a feed server saw: its path and the `If-None-Match` it carried.
pub type FeedRequest = (String, Option<String>);

/// What a feed path answers.
#[derive(Debug, Clone)]
pub enum FeedReply {
    Ics(String),
    /// Accepts and never answers.
    Hang,
    /// A body of this many bytes, without end in sight.
    Huge(usize),
    /// A redirect to this URL.
    Redirect(String),
}

impl FeedServer {
    pub async fn start() -> FeedServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let base_url = format!("http://{}", listener.local_addr().expect("an address"));
        let server = FeedServer {
            base_url,
            feeds: Arc::default(),
            requests: Arc::default(),
        };
        let serving = server.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let serving = serving.clone();
                tokio::spawn(async move { serving.answer(stream).await });
            }
        });
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Every request seen so far, in order.
    pub fn requests_seen(&self) -> Vec<FeedRequest> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    pub fn set(&self, path: &str, reply: FeedReply) {
        if let Ok(mut feeds) = self.feeds.lock() {
            feeds.insert(path.to_string(), reply);
        }
    }

    async fn answer(&self, mut stream: tokio::net::TcpStream) {
        use tokio::io::AsyncWriteExt;
        let Some(head) = request_head(&mut stream).await else {
            return;
        };
        let path = head
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .split('?')
            .next()
            .unwrap_or("/")
            .to_string();
        let if_none_match = head
            .lines()
            .find_map(|l| {
                l.strip_prefix("if-none-match: ")
                    .or_else(|| l.strip_prefix("If-None-Match: "))
            })
            .map(|v| v.trim().to_string());
        if let Ok(mut requests) = self.requests.lock() {
            requests.push((path.clone(), if_none_match.clone()));
        }
        let reply = self.feeds.lock().ok().and_then(|f| f.get(&path).cloned());
        let response = match reply {
            None => "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                .to_string(),
            Some(FeedReply::Hang) => {
                tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                return;
            }
            Some(FeedReply::Redirect(to)) => format!(
                "HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            ),
            Some(FeedReply::Huge(bytes)) => {
                let header = "HTTP/1.1 200 OK\r\ncontent-type: text/calendar\r\nconnection: close\r\n\r\nBEGIN:VCALENDAR\r\n";
                if stream.write_all(header.as_bytes()).await.is_err() {
                    return;
                }
                let line =
                    "X-FILLER:0123456789012345678901234567890123456789012345678901234567890123\r\n";
                let mut sent = 0;
                while sent < bytes {
                    if stream.write_all(line.as_bytes()).await.is_err() {
                        return;
                    }
                    sent += line.len();
                }
                return;
            }
            Some(FeedReply::Ics(body)) => {
                // A real hash: a sum of bytes gave two of the model's feeds one tag, and the
                // second was answered 304 though its events had changed.
                let etag = {
                    use std::hash::{Hash, Hasher};
                    let mut hasher = std::hash::DefaultHasher::new();
                    body.hash(&mut hasher);
                    format!("\"{:016x}\"", hasher.finish())
                };
                if if_none_match.as_deref() == Some(etag.as_str()) {
                    format!(
                        "HTTP/1.1 304 Not Modified\r\netag: {etag}\r\nconnection: close\r\n\r\n"
                    )
                } else {
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/calendar; charset=utf-8\r\netag: {etag}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    )
                }
            }
        };
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    }
}

/// A feed with no events, for `airbnb_feed`.
pub const NO_EVENTS: [(&str, &str, &str, &str); 0] = [];

/// An Airbnb-shaped export with one event per `(uid, summary, check-in, check-out)`.
pub fn airbnb_feed<U, S, A, B>(events: &[(U, S, A, B)]) -> String
where
    U: std::fmt::Display,
    S: std::fmt::Display,
    A: AsRef<str>,
    B: AsRef<str>,
{
    let mut ics = String::from(
        "BEGIN:VCALENDAR\r\nPRODID:-//Airbnb Inc//Hosting Calendar 0.8.8//EN\r\nCALSCALE:GREGORIAN\r\nVERSION:2.0\r\n",
    );
    for (uid, summary, start, end) in events {
        ics.push_str(&format!(
            "BEGIN:VEVENT\r\nDTEND;VALUE=DATE:{}\r\nDTSTART;VALUE=DATE:{}\r\nUID:{uid}\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\n",
            end.as_ref().replace('-', ""),
            start.as_ref().replace('-', "")
        ));
    }
    ics.push_str("END:VCALENDAR\r\n");
    ics
}
