//! The fields of an `audit.k8s.io/v1` `Event` that the analyses read, borrowed from
//! the line they were parsed from.
//!
//! Everything else (`responseObject`, `annotations`, `responseStatus.message`...) is
//! skipped by the parser without being copied. `requestObject` is kept as raw JSON
//! text and parsed only for the few requests a detection looks into (pods, workloads,
//! RBAC objects); a Secret's request or response body is never parsed nor printed.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::value::RawValue;

/// A string borrowed from the input when it has no escapes, owned otherwise (Go's
/// encoder escapes `&` in `requestURI` as `\u0026`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Str<'a>(pub Cow<'a, str>);

impl Str<'_> {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(StrVisitor)
    }
}

fn text<'s>(s: Option<&'s Str<'_>>) -> &'s str {
    s.map_or("", Str::as_str)
}

/// `user` and `impersonatedUser`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct User<'a> {
    /// `username`.
    #[serde(borrow, default)]
    pub username: Option<Str<'a>>,
    /// `groups`.
    #[serde(borrow, default)]
    pub groups: Option<Vec<Str<'a>>>,
}

impl User<'_> {
    /// The user name (empty when absent).
    pub fn name(&self) -> &str {
        text(self.username.as_ref())
    }

    /// The groups.
    pub fn groups(&self) -> impl Iterator<Item = &str> {
        self.groups.iter().flatten().map(Str::as_str)
    }
}

/// `objectRef`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef<'a> {
    /// `resource` (`pods`).
    #[serde(borrow, default)]
    pub resource: Option<Str<'a>>,
    /// `subresource` (`exec`).
    #[serde(borrow, default)]
    pub subresource: Option<Str<'a>>,
    /// `namespace`; absent for cluster-scoped and cluster-wide requests.
    #[serde(borrow, default)]
    pub namespace: Option<Str<'a>>,
    /// `name`.
    #[serde(borrow, default)]
    pub name: Option<Str<'a>>,
    /// `apiGroup`; absent for the core group.
    #[serde(borrow, default)]
    pub api_group: Option<Str<'a>>,
}

impl ObjectRef<'_> {
    /// `resource`, or empty.
    pub fn resource(&self) -> &str {
        text(self.resource.as_ref())
    }
    /// `subresource`, or empty.
    pub fn subresource(&self) -> &str {
        text(self.subresource.as_ref())
    }
    /// `namespace`, or empty.
    pub fn namespace(&self) -> &str {
        text(self.namespace.as_ref())
    }
    /// `name`, or empty.
    pub fn name(&self) -> &str {
        text(self.name.as_ref())
    }
    /// `apiGroup`, or empty (core).
    pub fn api_group(&self) -> &str {
        text(self.api_group.as_ref())
    }
}

/// `responseStatus`: only the code.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct Status {
    /// The HTTP status code.
    #[serde(default)]
    pub code: Option<i64>,
}

/// An audit `Event` (`audit.k8s.io/v1`, also `v1beta1`), the fields Rampart reads.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Event<'a> {
    /// `kind` (`Event`; `EventList` for a list document).
    #[serde(borrow, default)]
    pub kind: Option<Str<'a>>,
    /// `auditID`: the same for every stage of one request.
    #[serde(borrow, default, rename = "auditID")]
    pub audit_id: Option<Str<'a>>,
    /// `stage`.
    #[serde(borrow, default)]
    pub stage: Option<Str<'a>>,
    /// `requestURI`.
    #[serde(borrow, default, rename = "requestURI")]
    pub request_uri: Option<Str<'a>>,
    /// `verb`.
    #[serde(borrow, default)]
    pub verb: Option<Str<'a>>,
    /// `user`: who authenticated.
    #[serde(borrow, default)]
    pub user: User<'a>,
    /// `impersonatedUser`: who they acted as.
    #[serde(borrow, default, rename = "impersonatedUser")]
    pub impersonated_user: Option<User<'a>>,
    /// `sourceIPs`.
    #[serde(borrow, default, rename = "sourceIPs")]
    pub source_ips: Option<Vec<Str<'a>>>,
    /// `objectRef`; absent for non-resource requests.
    #[serde(borrow, default, rename = "objectRef")]
    pub object_ref: Option<ObjectRef<'a>>,
    /// `responseStatus`.
    #[serde(default, rename = "responseStatus")]
    pub response_status: Option<Status>,
    /// `requestObject`, unparsed (levels `Request` and `RequestResponse`).
    #[serde(borrow, default, rename = "requestObject")]
    pub request_object: Option<&'a RawValue>,
    /// `requestReceivedTimestamp`.
    #[serde(borrow, default, rename = "requestReceivedTimestamp")]
    pub request_received: Option<Str<'a>>,
    /// `stageTimestamp`.
    #[serde(borrow, default, rename = "stageTimestamp")]
    pub stage_timestamp: Option<Str<'a>>,
    /// `timestamp` (`audit.k8s.io/v1beta1`).
    #[serde(borrow, default)]
    pub timestamp: Option<Str<'a>>,
}

/// The stage of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// `RequestReceived`.
    RequestReceived,
    /// `ResponseStarted` (long-running requests: watch, exec, proxy).
    ResponseStarted,
    /// `ResponseComplete`, or an event without a stage.
    ResponseComplete,
    /// `Panic`.
    Panic,
}

impl<'a> Event<'a> {
    /// Parses one event from JSON text.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The stage (absent counts as `ResponseComplete`).
    pub fn stage(&self) -> Stage {
        match self.stage.as_ref().map(Str::as_str) {
            Some("RequestReceived") => Stage::RequestReceived,
            Some("ResponseStarted") => Stage::ResponseStarted,
            Some("Panic") => Stage::Panic,
            _ => Stage::ResponseComplete,
        }
    }

    /// The verb, or empty.
    pub fn verb(&self) -> &str {
        text(self.verb.as_ref())
    }

    /// When the request was received (`requestReceivedTimestamp`, else
    /// `stageTimestamp`, else the v1beta1 `timestamp`).
    pub fn time(&self) -> &str {
        self.request_received
            .as_ref()
            .or(self.stage_timestamp.as_ref())
            .or(self.timestamp.as_ref())
            .map_or("", Str::as_str)
    }

    /// The identity the request was authorized as: the impersonated user if any,
    /// else the authenticated one.
    pub fn effective_user(&self) -> &User<'a> {
        self.impersonated_user.as_ref().unwrap_or(&self.user)
    }

    /// The response code, if recorded.
    pub fn code(&self) -> Option<i64> {
        self.response_status.and_then(|s| s.code)
    }

    /// Whether the request was allowed (a response code below 400, or none recorded).
    pub fn allowed(&self) -> bool {
        self.code().is_none_or(|c| c < 400)
    }

    /// The request path without its query string.
    pub fn path(&self) -> &str {
        let uri = text(self.request_uri.as_ref());
        uri.split_once('?').map_or(uri, |(p, _)| p)
    }

    /// The source IPs.
    pub fn source_ips(&self) -> impl Iterator<Item = &str> {
        self.source_ips.iter().flatten().map(Str::as_str)
    }
}
