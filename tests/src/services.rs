//! Services of a test's own (a DynamoDB Local, a moto, a stand-in) that it may freeze, thaw and
//! kill, on ports no other test is handed.

/// A DynamoDB Local or a moto of a test's own, which the test may freeze (`SIGSTOP`), thaw and
/// kill; killed on drop. `make test` says where they are (`HOLDFAST_DYNAMODB_JAR_DIR`,
/// `HOLDFAST_MOTO_SERVER`).
#[derive(Debug)]
pub struct OwnService {
    pub endpoint: String,
    child: std::process::Child,
    log: std::path::PathBuf,
}

/// Whether something on `port` answers an HTTP request with an HTTP status line: more than a
/// socket that accepts, which a server still starting (or a dying one) may do.
fn answers_http(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
    let mut head = [0u8; 5];
    stream
        .write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .and_then(|()| stream.read_exact(&mut head))
        .is_ok_and(|()| &head == b"HTTP/")
}

/// Kept for the tests that only ever freeze a store.
pub type OwnDynamo = OwnService;

/// A free port below the kernel's ephemeral range (32768 and up: `ip_local_port_range`), which
/// every `bind(:0)` and every outgoing connection draws from. A port from that range, released
/// for a child to bind, can meanwhile be handed to another test's listener, or be the source
/// port of our own readiness probe, which then connects to itself: both were seen, as a
/// "started" DynamoDB Local that refused the table. No port is handed out twice per process.
fn free_port() -> u16 {
    static HANDED_OUT: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = fastrand::u16(20_000..32_000);
        if !handed_out.contains(&port) && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            handed_out.insert(port);
            return port;
        }
    }
}

impl OwnService {
    /// A DynamoDB Local, in memory.
    pub fn start() -> OwnService {
        let dir = std::env::var("HOLDFAST_DYNAMODB_JAR_DIR").unwrap_or_else(|_| {
            panic!("HOLDFAST_DYNAMODB_JAR_DIR is not set: run the tests with `make test`")
        });
        OwnService::spawn(|port| {
            let mut command = std::process::Command::new("java");
            command
                .arg("-Xmx256m")
                // C1 only, as infra/stack.sh starts it: a fresh engine warms up in a fraction
                // of the time (docs/decisions.md, "Budgets for a busy store").
                .arg("-XX:TieredStopAtLevel=1")
                .arg(format!("-Djava.library.path={dir}/DynamoDBLocal_lib"))
                .arg("-jar")
                .arg(format!("{dir}/DynamoDBLocal.jar"))
                .args([
                    "-port",
                    &port.to_string(),
                    "-inMemory",
                    "-sharedDb",
                    "-disableTelemetry",
                ]);
            command
        })
    }

    /// A moto server (SQS, SES).
    pub fn moto() -> OwnService {
        let server = std::env::var("HOLDFAST_MOTO_SERVER").unwrap_or_else(|_| {
            panic!("HOLDFAST_MOTO_SERVER is not set: run the tests with `make test`")
        });
        OwnService::spawn(|port| {
            let mut command = std::process::Command::new(&server);
            command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
            command
        })
    }

    /// A localstripe of the test's own.
    pub fn localstripe() -> OwnService {
        let server = std::env::var("HOLDFAST_LOCALSTRIPE_SERVER").unwrap_or_else(|_| {
            panic!("HOLDFAST_LOCALSTRIPE_SERVER is not set: run the tests with `make test`")
        });
        OwnService::spawn(|port| {
            let mut command = std::process::Command::new(&server);
            // Every localstripe writes its state to one shared file in /tmp on each change;
            // starting from it could read another's half-written copy.
            command.args(["--port", &port.to_string(), "--from-scratch"]);
            command
        })
    }

    /// A Mercado Pago stand-in of the test's own.
    pub fn mercadopago() -> OwnService {
        let server = std::env::var("HOLDFAST_MERCADOPAGO_STANDIN").unwrap_or_else(|_| {
            panic!("HOLDFAST_MERCADOPAGO_STANDIN is not set: run the tests with `make test`")
        });
        OwnService::spawn(|port| {
            let mut command = std::process::Command::new(&server);
            command.args(["--port", &port.to_string()]);
            command
        })
    }

    /// Starts the command `make` builds for a free port and waits until it listens. A process
    /// that exits first (its port taken meanwhile) is started again on another port.
    fn spawn(make: impl Fn(u16) -> std::process::Command) -> OwnService {
        let mut last_words = String::new();
        for _ in 0..3 {
            let port = free_port();
            let mut command = make(port);
            let log = std::env::temp_dir().join(format!("holdfast-own-{port}.log"));
            let stderr = std::fs::File::create(&log).expect("a log file");
            let stdout = stderr.try_clone().expect("a log file");
            let mut child = command
                .stdout(stdout)
                .stderr(stderr)
                .spawn()
                .unwrap_or_else(|e| panic!("starting {command:?}: {e}"));
            let started = std::time::Instant::now();
            loop {
                // Answering HTTP, and ours: a child that died of a taken port is not started.
                if answers_http(port) && matches!(child.try_wait(), Ok(None)) {
                    return OwnService {
                        endpoint: format!("http://127.0.0.1:{port}"),
                        child,
                        log,
                    };
                }
                if let Ok(Some(status)) = child.try_wait() {
                    last_words = format!(
                        "{command:?} exited ({status}): {}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                    break;
                }
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(60),
                    "{command:?} did not listen on {port} within 60 s: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
        panic!("{last_words}");
    }

    fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {signal} {} failed", self.child.id());
    }

    /// Stops the process where it stands: connections are accepted, nothing is answered.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    /// Runs `work` with the service frozen, and keeps it frozen for at least `at_least`, so
    /// that whatever the work started against it gives up before it answers again.
    pub async fn while_frozen<T>(
        &self,
        at_least: std::time::Duration,
        work: impl std::future::Future<Output = T>,
    ) -> T {
        self.freeze();
        let started = std::time::Instant::now();
        let done = work.await;
        tokio::time::sleep(at_least.saturating_sub(started.elapsed())).await;
        self.thaw();
        done
    }

    /// How the process stands (running, or how it ended) and what it printed: for a failure
    /// that involves it.
    pub fn last_words(&mut self) -> String {
        format!(
            "{:?}: {}",
            self.child.try_wait(),
            std::fs::read_to_string(&self.log).unwrap_or_default()
        )
    }

    /// Ends the process: its port refuses connections from now on.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnService {
    fn drop(&mut self) {
        // A frozen process must be thawed to die; a dead one needs neither.
        let _ = std::process::Command::new("kill")
            .args(["-CONT", &self.child.id().to_string()])
            .stderr(std::process::Stdio::null())
            .status();
        self.kill();
    }
}
