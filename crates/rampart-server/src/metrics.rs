//! Prometheus text metrics: requests by outcome, a latency histogram, denials by rule.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Latency bucket upper bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.000_25, 0.000_5, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];

/// The server's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    allowed: AtomicU64,
    denied: AtomicU64,
    bad_request: AtomicU64,
    errors: AtomicU64,
    buckets: [AtomicU64; 12],
    count: AtomicU64,
    sum_micros: AtomicU64,
    denials: Mutex<BTreeMap<&'static str, u64>>,
    audit_events: AtomicU64,
    audit_detections: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
}

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Result {
    /// Admitted.
    Allowed,
    /// Denied by a rule.
    Denied,
    /// Not an AdmissionReview (400).
    BadRequest,
    /// Internal error or timeout (answered by the failure policy).
    Error,
}

impl Metrics {
    /// Records a validation request.
    pub fn observe(&self, result: Result, seconds: f64, denied_by: &[&'static str]) {
        let counter = match result {
            Result::Allowed => &self.allowed,
            Result::Denied => &self.denied,
            Result::BadRequest => &self.bad_request,
            Result::Error => &self.errors,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        self.sum_micros
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
        if !denied_by.is_empty()
            && let Ok(mut map) = self.denials.lock()
        {
            for code in denied_by {
                *map.entry(code).or_insert(0) += 1;
            }
        }
    }

    /// Records audit events received on `/audit`.
    pub fn audit_events(&self, n: u64) {
        self.audit_events.fetch_add(n, Ordering::Relaxed);
    }

    /// Records a detection on `/audit`.
    pub fn audit_detection(&self, kind: &'static str, severity: &'static str) {
        if let Ok(mut map) = self.audit_detections.lock() {
            *map.entry((kind, severity)).or_insert(0) += 1;
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "# HELP rampart_admission_requests_total Admission reviews answered, by result."
        );
        let _ = writeln!(out, "# TYPE rampart_admission_requests_total counter");
        for (name, c) in [
            ("allowed", &self.allowed),
            ("denied", &self.denied),
            ("bad_request", &self.bad_request),
            ("error", &self.errors),
        ] {
            let _ = writeln!(
                out,
                "rampart_admission_requests_total{{result=\"{name}\"}} {}",
                load(c)
            );
        }
        let _ = writeln!(
            out,
            "# HELP rampart_admission_duration_seconds Time to answer an admission review."
        );
        let _ = writeln!(out, "# TYPE rampart_admission_duration_seconds histogram");
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(
                out,
                "rampart_admission_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                load(bucket)
            );
        }
        let count = load(&self.count);
        let _ = writeln!(
            out,
            "rampart_admission_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        #[allow(clippy::cast_precision_loss)]
        let sum = load(&self.sum_micros) as f64 / 1e6;
        let _ = writeln!(out, "rampart_admission_duration_seconds_sum {sum}");
        let _ = writeln!(out, "rampart_admission_duration_seconds_count {count}");
        let _ = writeln!(
            out,
            "# HELP rampart_admission_denials_total Denials by rule code."
        );
        let _ = writeln!(out, "# TYPE rampart_admission_denials_total counter");
        if let Ok(map) = self.denials.lock() {
            for (code, n) in map.iter() {
                let _ = writeln!(
                    out,
                    "rampart_admission_denials_total{{code=\"{code}\"}} {n}"
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP rampart_audit_events_total Audit events received on /audit."
        );
        let _ = writeln!(out, "# TYPE rampart_audit_events_total counter");
        let _ = writeln!(
            out,
            "rampart_audit_events_total {}",
            load(&self.audit_events)
        );
        let _ = writeln!(
            out,
            "# HELP rampart_audit_detections_total Audit-log detections on /audit, by kind and severity."
        );
        let _ = writeln!(out, "# TYPE rampart_audit_detections_total counter");
        if let Ok(map) = self.audit_detections.lock() {
            for ((kind, severity), n) in map.iter() {
                let _ = writeln!(
                    out,
                    "rampart_audit_detections_total{{kind=\"{kind}\",severity=\"{severity}\"}} {n}"
                );
            }
        }
        out
    }
}
