//! Where namespace labels and existing pods come from.
//!
//! The engine asks two small traits (`NamespaceLookup`, `PodLister`); this
//! module answers them from a file (`--namespaces FILE`) or from nothing.
//! The live-cluster source (kube-rs reflector) is in `crate::cluster`,
//! behind the `cluster` feature.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{anyhow, Context};
use podgate_core::model::PodTemplate;
use serde_json::Value;

use podgate_admission as admission;
use podgate_core::load;

/// Namespaces (and optionally pods) read once from a YAML or JSON file:
/// `Namespace` objects, `Pod` objects, and `List`/`NamespaceList`/`PodList`
/// wrappers, in any number of documents.
#[derive(Clone, Debug, Default)]
pub struct FileSource {
    namespaces: HashMap<String, BTreeMap<String, String>>,
    pods: HashMap<String, Vec<PodTemplate>>,
}

impl FileSource {
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Self::from_bytes(&bytes).with_context(|| format!("loading {}", path.display()))
    }

    pub fn from_bytes(bytes: &[u8]) -> anyhow::Result<Self> {
        let mut src = FileSource::default();
        for (i, doc) in load::load(bytes, &load::Limits::default())
            .into_iter()
            .enumerate()
        {
            let doc = doc.map_err(|e| anyhow!("document {}: {e}", i + 1))?;
            src.add(doc.value)
                .with_context(|| format!("document {}", i + 1))?;
        }
        Ok(src)
    }

    fn add(&mut self, v: Value) -> anyhow::Result<()> {
        match v.get("kind").and_then(Value::as_str).unwrap_or("") {
            "Namespace" => {
                let name = v
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .filter(|n| !n.is_empty())
                    .ok_or_else(|| anyhow!("Namespace without metadata.name"))?
                    .to_string();
                let labels = match v.pointer("/metadata/labels") {
                    None | Some(Value::Null) => BTreeMap::new(),
                    Some(l) => serde_json::from_value(l.clone())
                        .context("metadata.labels must map strings to strings")?,
                };
                self.namespaces.insert(name, labels);
            }
            "Pod" => {
                let pod: PodTemplate = serde_json::from_value(v).context("invalid Pod")?;
                let ns = if pod.metadata.namespace.is_empty() {
                    "default".to_string()
                } else {
                    pod.metadata.namespace.clone()
                };
                self.pods.entry(ns).or_default().push(pod);
            }
            kind if kind.ends_with("List") => {
                if let Some(Value::Array(items)) = v.get("items") {
                    for item in items {
                        self.add(item.clone())?;
                    }
                }
            }
            // Other kinds (a kustomization's Deployment, …) are not ours to judge here.
            _ => {}
        }
        Ok(())
    }

    pub fn namespace_count(&self) -> usize {
        self.namespaces.len()
    }
}

impl admission::NamespaceLookup for FileSource {
    fn labels(&self, name: &str) -> Option<BTreeMap<String, String>> {
        self.namespaces.get(name).cloned()
    }
}

impl admission::PodLister for FileSource {
    fn pods(
        &self,
        namespace: &str,
        _deadline: std::time::Instant,
    ) -> Result<Vec<PodTemplate>, admission::PodListError> {
        Ok(self.pods.get(namespace).cloned().unwrap_or_default())
    }
}
