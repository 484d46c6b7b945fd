//! Drives `rampart serve` over loopback TLS at a fixed request rate with realistic
//! AdmissionReviews (allowed and denied Pods and Deployments), interleaving garbage and
//! oversized bodies, and prints latency percentiles, throughput and errors.
//!
//! ```text
//! webhook-load --rampart target/release/rampart --rate 2000 --seconds 60 [--connections 32] [--pacer thread|tokio]
//! ```
//!
//! The load is open-loop: request `i` is due at `start + i / rate`, and its latency is
//! measured from when it was due, so a stalled server cannot hide its queueing delay
//! (coordinated omission). Good requests and bad ones are counted separately; a good
//! request fails when the answer is not a 200 AdmissionReview with the expected verdict.
//!
//! Requests are released at their due time by a pacing thread (`std::thread::sleep`,
//! tens of microseconds late) to whichever connection is idle. `--pacer tokio` is the
//! first version's pacing: each connection sleeps on tokio's timer, whose millisecond
//! ticks sent requests 1–1.5 ms late at the median, a delay of the generator's that was
//! counted as the server's. Two more lines split the latency: how late each request
//! was sent, and the time from sending to the answer.
//!
//! Garbage and oversized bodies go out from a thread of their own (`--bad-bodies
//! thread`, the default): writing 4 MB through TLS takes the generator milliseconds,
//! which on the good requests' thread delayed their sending. `--bad-bodies inline`
//! sends them on the good requests' connections. The last line gives the share of CPU
//! time the hypervisor stole during the run, which sets the tail on a shared VM.
//!
//! `--server null` drives a webhook that does nothing instead: the same TLS and HTTP
//! stack (rustls, hyper, tokio with two workers), reading each body as JSON and
//! answering "allowed" with its uid (413 above 1 MiB, 400 without a uid). Its figures
//! are the floor this machine, the generator included, puts under any webhook's
//! latency; the difference to `rampart serve` is Rampart's.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use std::net::SocketAddr;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;

#[path = "../webhook_corpus.rs"]
mod webhook_corpus;
use webhook_corpus::corpus;

struct Args {
    rampart: String,
    /// Drive the null webhook instead of `rampart serve`.
    null_server: bool,
    /// Send bad bodies from a thread of their own (`--bad-bodies thread`, the default)
    /// or from the good requests' connections (`inline`).
    bad_thread: bool,
    rate: u64,
    seconds: u64,
    connections: usize,
    /// Pace with a thread (`true`) or with tokio's timer in each connection.
    thread_pacer: bool,
}

fn parse_args() -> Option<Args> {
    let mut args = Args {
        rampart: "target/release/rampart".into(),
        null_server: false,
        bad_thread: true,
        rate: 2000,
        seconds: 60,
        connections: 32,
        thread_pacer: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let v = it.next()?;
        match a.as_str() {
            "--rampart" => args.rampart = v,
            "--rate" => args.rate = v.parse().ok()?,
            "--seconds" => args.seconds = v.parse().ok()?,
            "--connections" => args.connections = v.parse().ok()?,
            "--bad-bodies" => {
                args.bad_thread = match v.as_str() {
                    "thread" => true,
                    "inline" => false,
                    _ => return None,
                }
            }
            "--server" => {
                args.null_server = match v.as_str() {
                    "rampart" => false,
                    "null" => true,
                    _ => return None,
                }
            }
            "--pacer" => {
                args.thread_pacer = match v.as_str() {
                    "thread" => true,
                    "tokio" => false,
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
    Some(args)
}

struct Stats {
    /// Per good request: (from due time, from send) in microseconds.
    latencies_us: std::sync::Mutex<Vec<(u64, u64)>>,
    good: AtomicU64,
    errors: AtomicU64,
    bad_sent: AtomicU64,
    bad_rejected: AtomicU64,
}

async fn connect(
    addr: SocketAddr,
    ca: &CertificateDer<'static>,
) -> hyper::client::conn::http1::SendRequest<Full<Bytes>> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(conn);
    sender
}

/// One request to send.
struct Sent<'a> {
    addr: SocketAddr,
    ca: &'a CertificateDer<'static>,
    body: &'a [u8],
    /// The expected verdict; `None` for a bad body (400/413 expected).
    expect: Option<bool>,
    due: Instant,
    null_server: bool,
}

/// Sends one request on `sender` (connecting again when the server closed it) and
/// counts the outcome.
async fn exchange(
    sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    sent: Sent<'_>,
    stats: &Stats,
) {
    let request = hyper::Request::post("/validate")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::copy_from_slice(sent.body)))
        .unwrap();
    let at = Instant::now();
    let result = sender.send_request(request).await;
    let elapsed = sent.due.elapsed();
    let from_send = at.elapsed();
    match (result, sent.expect) {
        (Ok(resp), Some(allowed)) => {
            let ok_status = resp.status() == 200;
            let bytes = resp
                .into_body()
                .collect()
                .await
                .map(http_body_util::Collected::to_bytes)
                .unwrap_or_default();
            let verdict = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v["response"]["allowed"].as_bool());
            // The null webhook allows everything.
            if ok_status && (verdict == Some(allowed) || sent.null_server && verdict.is_some()) {
                stats.good.fetch_add(1, Ordering::Relaxed);
                stats
                    .latencies_us
                    .lock()
                    .unwrap()
                    .push((elapsed.as_micros() as u64, from_send.as_micros() as u64));
            } else {
                stats.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        (Ok(resp), None) => {
            stats.bad_sent.fetch_add(1, Ordering::Relaxed);
            let status = resp.status().as_u16();
            let _ = resp.into_body().collect().await;
            if status == 400 || status == 413 {
                stats.bad_rejected.fetch_add(1, Ordering::Relaxed);
            }
            // The server may close a connection after a 413.
            if status == 413 || sender.ready().await.is_err() {
                *sender = connect(sent.addr, sent.ca).await;
            }
        }
        (Err(_), expect) => {
            if expect.is_some() {
                stats.errors.fetch_add(1, Ordering::Relaxed);
            } else {
                stats.bad_sent.fetch_add(1, Ordering::Relaxed);
                stats.bad_rejected.fetch_add(1, Ordering::Relaxed);
            }
            *sender = connect(sent.addr, sent.ca).await;
        }
    }
}

/// CPU time so far, in clock ticks: (all, stolen by the hypervisor), from `/proc/stat`.
fn cpu_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|t| t.parse().ok())
        .collect();
    Some((ticks.iter().sum(), *ticks.get(7)?))
}

fn start_server(args: &Args, dir: &std::path::Path, addr: SocketAddr) -> Child {
    if args.null_server {
        return Command::new(std::env::current_exe().unwrap())
            .arg("--serve-null")
            .arg(addr.to_string())
            .arg(dir.join("tls.crt"))
            .arg(dir.join("tls.key"))
            .stdout(Stdio::null())
            .spawn()
            .expect("starting the null webhook");
    }
    Command::new(&args.rampart)
        .args([
            "serve",
            "--listen",
            &addr.to_string(),
            "--timeout-ms",
            "2000",
            "--max-body-bytes",
            "1048576",
        ])
        .arg("--tls-cert")
        .arg(dir.join("tls.crt"))
        .arg("--tls-key")
        .arg(dir.join("tls.key"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting rampart serve")
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = (((sorted.len() - 1) as f64) * p).round() as usize;
    #[allow(clippy::cast_precision_loss)]
    let v = sorted.get(i).copied().unwrap_or(0) as f64;
    v / 1000.0
}

/// The null webhook (`--serve-null ADDR CERT KEY`): TLS, HTTP and a JSON parse, no
/// decision.
fn serve_null(addr: &str, cert: &str, key: &str) -> ExitCode {
    use rustls::pki_types::PrivateKeyDer;
    use rustls::pki_types::pem::PemObject;
    let cert = CertificateDer::from_pem_file(cert).unwrap();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(
                        hyper_util::rt::TokioIo::new(tls),
                        hyper::service::service_fn(answer_null),
                    )
                    .await;
            });
        }
    })
}

async fn answer_null(
    request: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, std::convert::Infallible> {
    let respond = |status: u16, body: Vec<u8>| {
        Ok(hyper::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap())
    };
    let length = request
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if length.is_some_and(|n| n > 1 << 20) {
        return respond(413, Vec::new());
    }
    let body = request
        .into_body()
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    let review = serde_json::from_slice::<serde_json::Value>(&body).ok();
    match review.as_ref().and_then(|r| r["request"]["uid"].as_str()) {
        Some(uid) => respond(
            200,
            serde_json::to_vec(&serde_json::json!({
                "apiVersion": "admission.k8s.io/v1",
                "kind": "AdmissionReview",
                "response": {"uid": uid, "allowed": true},
            }))
            .unwrap(),
        ),
        None => respond(400, Vec::new()),
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    if let [_, flag, addr, cert, key] = argv.as_slice()
        && flag == "--serve-null"
    {
        return serve_null(addr, cert, key);
    }
    let Some(args) = parse_args() else {
        eprintln!(
            "usage: webhook-load [--rampart PATH] [--server rampart|null] [--bad-bodies thread|inline] [--rate N] [--seconds N] [--connections N] [--pacer thread|tokio]"
        );
        return ExitCode::from(2);
    };
    let dir = std::env::temp_dir().join(format!("rampart-webhook-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    std::fs::write(dir.join("tls.crt"), cert.cert.pem()).unwrap();
    std::fs::write(dir.join("tls.key"), cert.signing_key.serialize_pem()).unwrap();
    let ca = cert.cert.der().clone();
    let addr: SocketAddr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let mut server = start_server(&args, &dir, addr);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let code = runtime.block_on(async {
        for _ in 0..200 {
            if TcpStream::connect(addr).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let corpus = Arc::new(corpus());
        let null_server = args.null_server;
        let stats = Arc::new(Stats {
            latencies_us: std::sync::Mutex::new(Vec::with_capacity((args.rate * args.seconds) as usize)),
            good: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            bad_sent: AtomicU64::new(0),
            bad_rejected: AtomicU64::new(0),
        });
        let total = args.rate * args.seconds;
        let next = Arc::new(AtomicU64::new(0));
        let start = Instant::now() + Duration::from_millis(200);
        let ticks_before = cpu_ticks();
        #[allow(clippy::cast_precision_loss)]
        let due_at = move |i: u64| start + Duration::from_secs_f64(i as f64 / args.rate as f64);
        // The pacing thread releases request `i` at its due time; idle connections take
        // released requests in order.
        let released = if args.thread_pacer {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
            std::thread::spawn(move || {
                for i in 0..total {
                    let wait = due_at(i).saturating_duration_since(Instant::now());
                    if !wait.is_zero() {
                        std::thread::sleep(wait);
                    }
                    if tx.send(i).is_err() {
                        break;
                    }
                }
            });
            Some(Arc::new(tokio::sync::Mutex::new(rx)))
        } else {
            None
        };
        // Garbage and oversized bodies go out from a thread of their own: writing 4 MB
        // through TLS takes milliseconds, which on the good requests' thread would delay
        // their sending, a stall of the generator's counted as the server's.
        let bad = args.bad_thread.then(|| {
            let (tx, rx) = std::sync::mpsc::channel::<u64>();
            let (corpus, stats, ca) = (Arc::clone(&corpus), Arc::clone(&stats), ca.clone());
            let thread = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                runtime.block_on(async {
                    let mut sender = connect(addr, &ca).await;
                    while let Ok(i) = rx.recv() {
                        let (body, expect) = &corpus[(i as usize) % corpus.len()];
                        let sent = Sent { addr, ca: &ca, body, expect: *expect, due: due_at(i), null_server };
                        exchange(&mut sender, sent, &stats).await;
                    }
                });
            });
            (tx, thread)
        });
        let mut tasks = Vec::new();
        for _ in 0..args.connections {
            let (corpus, stats, next, ca) = (Arc::clone(&corpus), Arc::clone(&stats), Arc::clone(&next), ca.clone());
            let (released, bad) = (released.clone(), bad.as_ref().map(|(tx, _)| tx.clone()));
            tasks.push(tokio::spawn(async move {
                let mut sender = connect(addr, &ca).await;
                loop {
                    let i = match &released {
                        Some(rx) => match rx.lock().await.recv().await {
                            Some(i) => i,
                            None => break,
                        },
                        None => next.fetch_add(1, Ordering::Relaxed),
                    };
                    if i >= total {
                        break;
                    }
                    let due = due_at(i);
                    if released.is_none() {
                        tokio::time::sleep_until(due.into()).await;
                    }
                    let (body, expect) = &corpus[(i as usize) % corpus.len()];
                    if expect.is_none()
                        && let Some(bad) = &bad
                    {
                        let _ = bad.send(i);
                        continue;
                    }
                    exchange(&mut sender, Sent { addr, ca: &ca, body, expect: *expect, due, null_server }, &stats).await;
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
        // Every bad body is sent and answered before the server stops.
        if let Some((tx, thread)) = bad {
            drop(tx);
            let _ = thread.join();
        }
        let wall = start.elapsed().as_secs_f64();
        let ticks_after = cpu_ticks();
        let pairs = std::mem::take(&mut *stats.latencies_us.lock().unwrap());
        let sorted = |f: fn(&(u64, u64)) -> u64| {
            let mut v: Vec<u64> = pairs.iter().map(f).collect();
            v.sort_unstable();
            v
        };
        let lat = sorted(|(due, _)| *due);
        let from_send = sorted(|(_, send)| *send);
        let send_lag = sorted(|(due, send)| due.saturating_sub(*send));
        let good = stats.good.load(Ordering::Relaxed);
        let errors = stats.errors.load(Ordering::Relaxed);
        #[allow(clippy::cast_precision_loss)]
        let throughput = (good + stats.bad_sent.load(Ordering::Relaxed)) as f64 / wall;
        println!(
            "webhook load: {} good requests in {wall:.1} s ({throughput:.0} req/s incl. bad), {errors} errors; bad bodies {} sent, {} refused (400/413)",
            good,
            stats.bad_sent.load(Ordering::Relaxed),
            stats.bad_rejected.load(Ordering::Relaxed),
        );
        println!(
            "latency (from due time): p50 {:.3} ms  p99 {:.3} ms  p99.9 {:.3} ms  max {:.3} ms",
            percentile(&lat, 0.50),
            percentile(&lat, 0.99),
            percentile(&lat, 0.999),
            percentile(&lat, 1.0)
        );
        for (what, v) in [("sent late by", &send_lag), ("latency (from send)", &from_send)] {
            println!(
                "  {what}: p50 {:.3} ms  p99 {:.3} ms  p99.9 {:.3} ms  max {:.3} ms",
                percentile(v, 0.50),
                percentile(v, 0.99),
                percentile(v, 0.999),
                percentile(v, 1.0)
            );
        }
        // Time the hypervisor gave to other machines sets the tail on a shared VM:
        // print it with the figures.
        if let (Some((all0, steal0)), Some((all1, steal1))) = (ticks_before, ticks_after) {
            #[allow(clippy::cast_precision_loss)]
            let share = (steal1 - steal0) as f64 * 100.0 / (all1 - all0).max(1) as f64;
            println!("  machine: {share:.1}% of CPU time stolen by the hypervisor during the run");
        }
        if errors == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) }
    });
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
    code
}
