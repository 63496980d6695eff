//! The fetcher against raw servers on 127.0.0.1: what it refuses never reaches a server, and
//! what it accepts is conditional, capped and timed.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use holdfast_fetch::{FeedFetcher, FetchError, FetchPolicy, Fetched, Validators, check_url};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

struct Server {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// Serves every connection with `handle(request head, lower-cased; stream)`.
async fn serve<F, Fut>(handle: F) -> Server
where
    F: Fn(String, TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    // A small send buffer (inherited by accepted sockets) so that what a server wrote is
    // close to what the client read.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_send_buffer_size(64 * 1024).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(64).unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let (count, handle) = (accepted.clone(), Arc::new(handle));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let handle = handle.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).await.unwrap_or(0) == 1
                {
                    head.push(byte[0]);
                }
                handle(String::from_utf8_lossy(&head).to_lowercase(), stream).await;
            });
        }
    });
    Server { addr, accepted }
}

/// Answers `status` with `headers` (each ending in CRLF) and `body`, closing the connection.
async fn reply(mut stream: TcpStream, status: &str, headers: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\nconnection: close\r\ncontent-length: {}\r\n{headers}\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
}

fn path(head: &str) -> String {
    head.split(' ').nth(1).unwrap_or_default().to_owned()
}

fn dev() -> FetchPolicy {
    FetchPolicy {
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(10),
        allow_loopback_http: true,
        ..FetchPolicy::default()
    }
}

async fn get(fetcher: &FeedFetcher, url: &str) -> Result<Fetched, FetchError> {
    fetcher.fetch(url, &Validators::default()).await
}

fn refused(result: Result<Fetched, FetchError>) -> bool {
    matches!(result, Err(FetchError::Refused { .. }))
}

#[tokio::test]
async fn with_the_setting_off_loopback_is_refused_and_never_connected_to() {
    let server = serve(|_, stream| reply(stream, "200 OK", "", b"BEGIN:VCALENDAR")).await;
    let fetcher = FeedFetcher::new(FetchPolicy::default()).unwrap();
    let port = server.addr.port();
    for url in [
        server.url("/feed.ics?token=secret"),
        format!("https://127.0.0.1:{port}/"),
    ] {
        let result = get(&fetcher, &url).await;
        assert!(refused(result.clone()), "{url}: {result:?}");
    }
    // A name that resolves to loopback passes `check_url`: the resolver drops its addresses.
    let by_name = get(&fetcher, &format!("https://localhost:{port}/")).await;
    let reason = "its host resolves only to private or internal addresses";
    assert_eq!(by_name, Err(FetchError::Refused { reason }));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.accepted(), 0);
}

#[tokio::test]
async fn forbidden_literals_are_refused_without_connecting() {
    let fetcher = FeedFetcher::new(FetchPolicy::default()).unwrap();
    for url in [
        "https://10.0.0.1/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd00:ec2::254]/latest/meta-data/",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[::ffff:a9fe:a9fe]/",
        "https://0.0.0.0/",
        "https://100.64.0.1/",
        "https://[fe80::1]/",
        "https://2852039166/",
        "https://0xa9.0xfe.0xa9.0xfe/",
        "http://10.0.0.1/",
        "http://localhost/",
        "http://example.com/",
        "ftp://example.com/",
        "https://user:pass@example.com/",
        "not a url",
    ] {
        // Refused at once: a connection to 10/8 or 169.254/16 would hang until the timeout.
        let started = Instant::now();
        let result = get(&fetcher, url).await;
        assert!(refused(result.clone()), "{url}: {result:?}");
        assert!(started.elapsed() < Duration::from_millis(500), "{url}");
    }
}

#[test]
fn registered_urls_are_checked_for_scheme_credentials_and_literals() {
    assert!(check_url("https://calendar.example.com:8443/feed.ics?token=x", false).is_ok());
    assert!(check_url("https://8.8.8.8/", false).is_ok());
    assert!(check_url("https://[2606:4700::1111]/", false).is_ok());
    // A name is checked where it resolves, on every fetch.
    assert!(check_url("https://localhost/", false).is_ok());
    assert!(check_url("http://127.0.0.1:8080/", true).is_ok());
    assert!(check_url("http://[::1]:8080/", true).is_ok());
    for (url, allow) in [
        ("http://127.0.0.1:8080/", false),
        ("http://localhost:8080/", true),
        ("http://example.com/", true),
        ("https://user@example.com/", false),
        ("https://:pw@example.com/", false),
        ("https://127.1/", false),
        ("https://2130706433/", false),
        ("https://192.168.1.1/", true),
        ("https://[::ffff:10.0.0.1]/", true),
        ("file:///etc/passwd", true),
    ] {
        let result = check_url(url, allow).map(|_| Fetched::NotModified);
        assert!(refused(result), "{url}");
    }
}

#[tokio::test]
async fn redirects_inside_are_refused_and_not_followed() {
    let server = serve(|head, stream| async move {
        let location = match path(&head).as_str() {
            "/to-private" => "http://10.0.0.1/feed.ics",
            "/to-private-https" => "https://10.0.0.1/feed.ics",
            "/to-metadata" => "https://169.254.169.254/",
            "/to-mapped" => "https://[::ffff:a9fe:a9fe]/",
            _ => "ftp://example.com/",
        };
        let location = format!("location: {location}\r\n");
        reply(stream, "302 Found", &location, b"").await;
    })
    .await;
    let fetcher = FeedFetcher::new(dev()).unwrap();
    let hops = [
        "/to-private",
        "/to-private-https",
        "/to-metadata",
        "/to-mapped",
        "/to-ftp",
    ];
    for hop in hops {
        let result = get(&fetcher, &server.url(hop)).await;
        assert!(refused(result.clone()), "{hop}: {result:?}");
    }
    assert_eq!(server.accepted(), hops.len());
}

#[tokio::test]
async fn redirects_are_followed_up_to_the_limit() {
    // /hop/N/STOP redirects to /hop/N+1/STOP until N reaches STOP.
    let server = serve(|head, stream| async move {
        let path = path(&head);
        let parts: Vec<u32> = path.split('/').filter_map(|p| p.parse().ok()).collect();
        match parts[..] {
            [n, stop] if n < stop => {
                let location = format!("location: /hop/{}/{stop}\r\n", n + 1);
                reply(stream, "301 Moved Permanently", &location, b"").await
            }
            _ => reply(stream, "200 OK", "", b"BEGIN:VCALENDAR").await,
        }
    })
    .await;
    let fetcher = FeedFetcher::new(dev()).unwrap();
    let Fetched::Body {
        final_url, bytes, ..
    } = get(&fetcher, &server.url("/hop/0/5")).await.unwrap()
    else {
        panic!("expected a body");
    };
    assert_eq!(final_url.path(), "/hop/5/5");
    assert_eq!(bytes, b"BEGIN:VCALENDAR");
    assert_eq!(server.accepted(), 6);

    let result = get(&fetcher, &server.url("/hop/0/6")).await;
    assert!(refused(result.clone()), "{result:?}");
    assert_eq!(server.accepted(), 12, "the sixth redirect is not followed");
}

#[tokio::test]
async fn a_conditional_get_sends_the_validators() {
    const ETAG: &str = "\"v1\"";
    const DATE: &str = "Wed, 21 Oct 2015 07:28:00 GMT";
    let server = serve(|head, stream| async move {
        let matches = head.contains(&format!("if-none-match: {ETAG}\r\n"))
            || head.contains(&format!("if-modified-since: {}\r\n", DATE.to_lowercase()));
        if path(&head) == "/missing" {
            reply(stream, "404 Not Found", "", b"").await
        } else if matches {
            reply(stream, "304 Not Modified", "", b"").await
        } else {
            // Served a while after it changed: the date is a validator of its own.
            let headers = format!(
                "etag: {ETAG}\r\nlast-modified: {DATE}\r\ndate: Wed, 21 Oct 2015 09:00:00 GMT\r\n"
            );
            reply(stream, "200 OK", &headers, b"BEGIN:VCALENDAR").await
        }
    })
    .await;
    let fetcher = FeedFetcher::new(dev()).unwrap();
    let url = server.url("/feed.ics");
    let Fetched::Body {
        etag,
        last_modified,
        ..
    } = get(&fetcher, &url).await.unwrap()
    else {
        panic!("expected a body");
    };
    assert_eq!(etag.as_deref(), Some(ETAG));
    assert_eq!(last_modified.as_deref(), Some(DATE));
    // Each validator alone is enough.
    for (etag, last_modified) in [(etag, None), (None, last_modified)] {
        let validators = Validators {
            etag,
            last_modified,
        };
        assert_eq!(
            fetcher.fetch(&url, &validators).await,
            Ok(Fetched::NotModified)
        );
    }
    let missing = get(&fetcher, &server.url("/missing")).await;
    assert_eq!(missing, Err(FetchError::Status(404)));
}

/// Streams 20 MB and reports how much was written before the client went away.
async fn too_large(content_length: bool, slow: bool) {
    const TOTAL: usize = 20_000_000;
    const CAP: usize = 1024 * 1024;
    let (report, mut reports) = tokio::sync::mpsc::unbounded_channel();
    let server = serve(move |_, mut stream| {
        let report = report.clone();
        async move {
            let length = format!("content-length: {TOTAL}\r\n");
            let length = if content_length { length.as_str() } else { "" };
            let head = format!("HTTP/1.1 200 OK\r\nconnection: close\r\n{length}\r\n");
            let mut sent = 0;
            let mut dropped = stream.write_all(head.as_bytes()).await.is_err();
            let chunk = vec![b'x'; 16 * 1024];
            while !dropped && sent < TOTAL {
                dropped = stream.write_all(&chunk).await.is_err();
                sent += chunk.len();
                if slow {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
            let _ = report.send((sent, dropped));
        }
    })
    .await;
    let fetcher = FeedFetcher::new(FetchPolicy {
        max_bytes: CAP,
        ..dev()
    })
    .unwrap();
    let result = get(&fetcher, &server.url("/big.ics")).await;
    assert_eq!(result, Err(FetchError::TooLarge { limit: CAP }));
    let (sent, dropped) = tokio::time::timeout(Duration::from_secs(10), reports.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(dropped, "the fetcher dropped the connection");
    // With a length, nothing is read at all: what was sent sits in socket buffers. Without,
    // the cap and a chunk are read, plus what the buffers held: far short of the 20 MB.
    let bound = if content_length { CAP } else { 4 * CAP };
    let case = format!("content-length {content_length}, slow {slow}");
    assert!(sent < bound, "{case}: sent {sent}");
}

#[tokio::test]
async fn a_body_over_the_cap_stops_early_with_content_length() {
    too_large(true, false).await;
    too_large(true, true).await;
}

#[tokio::test]
async fn a_body_over_the_cap_stops_early_while_streaming() {
    too_large(false, false).await;
    too_large(false, true).await;
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = serve(|_, stream| async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(stream);
    })
    .await;
    let total_timeout = Duration::from_millis(500);
    let fetcher = FeedFetcher::new(FetchPolicy {
        total_timeout,
        ..dev()
    })
    .unwrap();
    let started = Instant::now();
    let result = get(&fetcher, &server.url("/feed.ics")).await;
    assert_eq!(result, Err(FetchError::TimedOut));
    assert!(started.elapsed() < total_timeout + Duration::from_millis(500));
    assert_eq!(server.accepted(), 1);
    // A caller's own deadline, when sooner, bounds the fetch instead (10 s against 0.2 s: a
    // margin no load reaches).
    let fetcher = FeedFetcher::new(dev()).unwrap();
    let within = Duration::from_millis(200);
    let started = Instant::now();
    let result = fetcher
        .fetch_within(&server.url("/feed.ics"), &Validators::default(), within)
        .await;
    assert_eq!(result, Err(FetchError::TimedOut));
    assert!(
        started.elapsed() >= within && started.elapsed() < dev().total_timeout / 2,
        "{:?}",
        started.elapsed()
    );
}
