//! Snapshots: what a cluster scan read, in one file, so the same scan runs offline.
//!
//! ```text
//! {"snapshotVersion": 1,
//!  "createdAt": "2026-01-31T12:00:00Z",
//!  "kubernetesVersion": "v1.31.2",
//!  "context": "kind-rampart",
//!  "namespace": null,
//!  "incomplete": [{"resource": "networkpolicies.networking.k8s.io", "verb": "list", ...}],
//!  "objects": [
//!   {"apiVersion": "v1", "kind": "Namespace", ...},
//!   ...
//!  ]}
//! ```
//!
//! Objects are the reduced objects ([`crate::reduce`]), printed as `kubectl get -o json`
//! prints them (so two snapshots diff field by field), in the order a scan keeps them. Secrets are metadata only. A file ending in `.gz` is gzip-compressed;
//! reading detects gzip by its magic bytes whatever the name. Reading streams: objects
//! are converted one at a time, never all held as JSON values.

use std::fmt;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

use rampart_model::Object;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::Incomplete;
use crate::collect::{Collected, Collector, Items};

/// The snapshot format version this build writes and reads.
pub const SNAPSHOT_VERSION: u64 = 1;

/// Everything in a snapshot but its objects.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    /// When the cluster was read, RFC 3339 in UTC.
    pub created_at: String,
    /// The API server's `/version` (`gitVersion`), when it answered.
    pub kubernetes_version: Option<String>,
    /// The kubeconfig context (`in-cluster` inside a pod).
    pub context: String,
    /// The one namespace read (`-n`), or none for all.
    pub namespace: Option<String>,
    /// Kinds that could not be read, and the practices they leave incomplete.
    pub incomplete: Vec<Incomplete>,
}

/// A snapshot that could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The file could not be opened, read or written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The file is not valid JSON, or not shaped as a snapshot.
    #[error("not a Rampart snapshot: {0}")]
    Format(#[from] serde_json::Error),
    /// The snapshot was written by a newer Rampart.
    #[error("snapshot version {0} is newer than this Rampart reads (version {SNAPSHOT_VERSION})")]
    Version(u64),
}

/// Writes a snapshot: gzip-compressed when the path ends in `.gz`.
pub fn write_file(path: &Path, header: &Header, objects: &[Object]) -> Result<(), SnapshotError> {
    let file = std::fs::File::create(path)?;
    let gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    if gz {
        let mut encoder =
            flate2::write::GzEncoder::new(BufWriter::new(file), flate2::Compression::default());
        write(&mut encoder, header, objects)?;
        encoder.finish()?.flush()?;
    } else {
        let mut out = BufWriter::new(file);
        write(&mut out, header, objects)?;
        out.flush()?;
    }
    Ok(())
}

/// Writes a snapshot's JSON.
pub fn write(
    out: &mut dyn Write,
    header: &Header,
    objects: &[Object],
) -> Result<(), SnapshotError> {
    writeln!(out, "{{\"snapshotVersion\": {SNAPSHOT_VERSION},")?;
    writeln!(out, " \"createdAt\": {},", field(&header.created_at)?)?;
    writeln!(
        out,
        " \"kubernetesVersion\": {},",
        field(&header.kubernetes_version)?
    )?;
    writeln!(out, " \"context\": {},", field(&header.context)?)?;
    writeln!(out, " \"namespace\": {},", field(&header.namespace)?)?;
    writeln!(out, " \"incomplete\": {},", field(&header.incomplete)?)?;
    write!(out, " \"objects\": [")?;
    for (i, o) in objects.iter().enumerate() {
        out.write_all(if i == 0 { b"\n  " } else { b",\n  " })?;
        serde_json::to_writer_pretty(&mut *out, &o.root.to_json())?;
    }
    writeln!(out, "\n ]}}")?;
    Ok(())
}

fn field<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    serde_json::to_string(value)
}

/// Reads a snapshot file (plain or gzip-compressed JSON).
pub fn read_file(path: &Path) -> Result<(Header, Collected), SnapshotError> {
    let mut reader = BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
    let gz = reader.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    if gz {
        read(BufReader::with_capacity(
            1 << 16,
            flate2::read::GzDecoder::new(reader),
        ))
    } else {
        read(reader)
    }
}

/// Reads a snapshot from JSON text, converting objects as they are read.
pub fn read(reader: impl Read) -> Result<(Header, Collected), SnapshotError> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let out = (&mut de).deserialize_map(SnapshotVisitor)?;
    de.end()?;
    out
}

struct SnapshotVisitor;

impl<'de> Visitor<'de> for SnapshotVisitor {
    type Value = Result<(Header, Collected), SnapshotError>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a snapshot object with `snapshotVersion` and `objects`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut header = Header::default();
        let mut version = None;
        let mut collected = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "snapshotVersion" => version = Some(map.next_value::<u64>()?),
                "createdAt" => header.created_at = map.next_value()?,
                "kubernetesVersion" => header.kubernetes_version = map.next_value()?,
                "context" => header.context = map.next_value()?,
                "namespace" => header.namespace = map.next_value()?,
                "incomplete" => header.incomplete = map.next_value()?,
                "objects" => {
                    if version.is_some_and(|v| v > SNAPSHOT_VERSION) {
                        // Refused below; its objects may not mean what they mean to us.
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                    let context = if header.context.is_empty() {
                        "snapshot"
                    } else {
                        &header.context
                    };
                    let mut collector = Collector::new(context);
                    map.next_value_seed(Items {
                        collector: &mut collector,
                        kind: "",
                        api_version: "",
                        metadata_only: false,
                    })?;
                    collected = Some(collector.finish());
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match version {
            None => return Err(serde::de::Error::missing_field("snapshotVersion")),
            Some(v) if v > SNAPSHOT_VERSION => return Ok(Err(SnapshotError::Version(v))),
            Some(_) => {}
        }
        let Some(collected) = collected else {
            return Err(serde::de::Error::missing_field("objects"));
        };
        Ok(Ok((header, collected)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trip_plain_and_gzip() {
        let mut c = Collector::new("ctx");
        c.add(json!({"metadata": {"name": "ns"}}), "Namespace", "v1");
        c.add(
            json!({"metadata": {"name": "p", "namespace": "ns"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}),
            "Pod",
            "v1",
        );
        let collected = c.finish();
        let header = Header {
            created_at: "2026-01-01T00:00:00Z".into(),
            kubernetes_version: Some("v1.31.2".into()),
            context: "ctx".into(),
            namespace: None,
            incomplete: vec![Incomplete {
                resource: "networkpolicies.networking.k8s.io".into(),
                verb: "list".into(),
                status: Some(403),
                message: "forbidden".into(),
                practices: vec!["NET".into()],
            }],
        };
        let dir = tempfile::tempdir().unwrap();
        for name in ["s.json", "s.json.gz"] {
            let path = dir.path().join(name);
            write_file(&path, &header, &collected.objects).unwrap();
            let (h, again) = read_file(&path).unwrap();
            assert_eq!(h, header);
            assert_eq!(again.objects.len(), 2);
            for (a, b) in collected.objects.iter().zip(&again.objects) {
                assert_eq!(a.root, b.root, "same nodes, same positions");
                assert_eq!(a.id, b.id);
            }
            let names = |f: &rampart_model::Files| {
                f.iter().map(|(_, f)| f.name.clone()).collect::<Vec<_>>()
            };
            assert_eq!(names(&collected.files), names(&again.files));
        }
    }

    #[test]
    fn rejects_what_is_not_a_snapshot() {
        assert!(read(&b"{\"objects\": []}"[..]).is_err());
        assert!(read(&b"[1]"[..]).is_err());
        assert!(matches!(
            read(&b"{\"snapshotVersion\": 9, \"objects\": []}"[..]),
            Err(SnapshotError::Version(9))
        ));
    }
}
