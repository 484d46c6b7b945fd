//! Rampart's object model: the values every input becomes, where they came from, and
//! the [`Inventory`] the rules read.
//!
//! This crate does no I/O. Loaders (`rampart-source`) turn bytes into [`Node`] trees
//! with positions; this crate indexes them, offers one [`PodTemplate`] view over every
//! workload kind, and works out the [`ClusterFacts`] (version, component flags).

pub mod diagnostic;
pub mod facts;
pub mod files;
pub mod inventory;
pub mod kinds;
pub mod node;
pub mod object;
pub mod share;
pub mod text;
pub mod workload;

pub use diagnostic::{InputDiagnostic, InputLevel};
pub use facts::{ClusterFacts, Component, ComponentFlags, KubeVersion, VersionSource};
pub use files::{Files, SourceFile};
pub use inventory::Inventory;
pub use node::{Entry, Map, Node, Pos, Seq, Value};
pub use object::{FileId, Object, ObjectRef, Origin};
pub use share::Sharing;
pub use text::{Text, intern, intern_path};
pub use workload::{Container, ContainerKind, PodTemplate};
