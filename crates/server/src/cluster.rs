//! Live-cluster namespace and pod sources (the `cluster` feature).
//!
//! Namespaces: a kube-rs reflector keeps every Namespace in memory (small:
//! one object per namespace) and `/readyz` turns green after its first full
//! list; a namespace missing from it is fetched live (upstream's
//! `NamespaceGetterFromListerAndClient`). Pods: listed live from the API
//! server only when the engine dry-runs a namespace label change, as
//! upstream's webhook does (`PodListerFromClient`), instead of caching every
//! pod of the cluster.
//!
//! The engine's traits are synchronous, so the pod list runs with
//! `block_in_place` on the multi-threaded runtime that `run_serve` builds.
//! RBAC: get/list/watch on namespaces and pods (see deploy/rbac.yaml).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::ListParams;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Client, Config};
use podgate_core::model::PodTemplate;

use podgate_admission as admission;

/// Pods per list page for the namespace dry-run (all pages are read).
const POD_LIST_PAGE: u32 = 500;
/// A namespace missing from the cache is fetched live, by the review's
/// deadline and within this bound.
const NAMESPACE_GET_TIMEOUT: Duration = Duration::from_secs(5);

struct Namespaces {
    store: Store<Namespace>,
    client: Client,
    handle: tokio::runtime::Handle,
}

impl admission::NamespaceLookup for Namespaces {
    fn labels(&self, name: &str) -> Option<BTreeMap<String, String>> {
        self.store
            .get(&ObjectRef::new(name))
            .map(|ns| ns.metadata.labels.clone().unwrap_or_default())
    }

    /// The cache, else a live GET, as upstream's
    /// `NamespaceGetterFromListerAndClient`: a pod created right after its
    /// namespace may arrive before the watch has delivered the namespace.
    fn lookup(
        &self,
        name: &str,
        deadline: std::time::Instant,
    ) -> Result<BTreeMap<String, String>, String> {
        if let Some(labels) = self.labels(name) {
            return Ok(labels);
        }
        let api: Api<Namespace> = Api::all(self.client.clone());
        // Bounded by the review's deadline, as upstream's GET runs under the
        // request's context (and never longer than NAMESPACE_GET_TIMEOUT).
        let deadline = tokio::time::Instant::from_std(deadline)
            .min(tokio::time::Instant::now() + NAMESPACE_GET_TIMEOUT);
        let get = async { tokio::time::timeout_at(deadline, api.get(name)).await };
        let result = tokio::task::block_in_place(|| self.handle.block_on(get));
        match result {
            Ok(Ok(ns)) => Ok(ns.metadata.labels.unwrap_or_default()),
            // Go's StatusError.Error() is the status message
            // (`namespaces "x" not found`).
            Ok(Err(kube::Error::Api(status))) => Err(status.message),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, namespace = name, "namespace lookup failed");
                Err(e.to_string())
            }
            Err(_) => {
                tracing::warn!(namespace = name, "namespace lookup timed out");
                Err("context deadline exceeded".to_string())
            }
        }
    }
}

struct Pods {
    client: Client,
    handle: tokio::runtime::Handle,
}

impl admission::PodLister for Pods {
    fn pods(
        &self,
        namespace: &str,
        deadline: std::time::Instant,
    ) -> Result<Vec<PodTemplate>, admission::PodListError> {
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        // Every pod, as upstream lists them (its `first N of M` warning
        // counts them all and one pod per controller is checked first), in
        // pages so that only the decoded models are kept, not whole Pods.
        let list = async {
            let mut out = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let mut params = ListParams::default().limit(POD_LIST_PAGE);
                if let Some(t) = token.take() {
                    params = params.continue_token(&t);
                }
                let page = api.list(&params).await?;
                out.extend(page.items.into_iter().filter_map(|p| {
                    serde_json::to_value(p)
                        .ok()
                        .and_then(|v| serde_json::from_value::<PodTemplate>(v).ok())
                }));
                match page.metadata.continue_ {
                    Some(t) if !t.is_empty() => token = Some(t),
                    _ => return Ok::<_, kube::Error>(out),
                }
            }
        };
        // Upstream lists under the dry run's own deadline (1 s, less for a
        // short API server timeout); a slower list fails the dry run.
        let deadline = tokio::time::Instant::from_std(deadline);
        let result = tokio::task::block_in_place(|| {
            self.handle
                .block_on(async { tokio::time::timeout_at(deadline, list).await })
        });
        match result {
            Ok(Ok(pods)) => Ok(pods),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "listing pods for the namespace dry-run failed");
                Err(admission::PodListError(e.to_string()))
            }
            Err(_) => {
                tracing::warn!("listing pods for the namespace dry-run timed out");
                Err(admission::PodListError("context deadline exceeded".into()))
            }
        }
    }
}

/// Connect (kubeconfig file, else in-cluster/inferred config), start the
/// namespace reflector and return the sources and the synced flag.
pub async fn start(
    kubeconfig: Option<&Path>,
) -> anyhow::Result<(
    Arc<dyn admission::NamespaceLookup>,
    Arc<dyn admission::PodLister>,
    Arc<AtomicBool>,
)> {
    let config = match kubeconfig {
        Some(path) => {
            let kc = Kubeconfig::read_from(path)
                .with_context(|| format!("reading kubeconfig {}", path.display()))?;
            Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?
        }
        None => Config::incluster().context("in-cluster configuration")?,
    };
    let client = Client::try_from(config).context("building the Kubernetes client")?;
    let (reader, writer) = reflector::store();
    let api: Api<Namespace> = Api::all(client.clone());
    let stream = reflector::reflector(writer, watcher(api, watcher::Config::default()))
        .default_backoff()
        .touched_objects();
    tokio::spawn(async move {
        futures_util::pin_mut!(stream);
        while let Some(item) = stream.next().await {
            if let Err(e) = item {
                tracing::warn!(error = %e, "namespace watch error (retrying)");
            }
        }
    });
    let synced = Arc::new(AtomicBool::new(false));
    let flag = synced.clone();
    let ready_reader = reader.clone();
    tokio::spawn(async move {
        if ready_reader.wait_until_ready().await.is_ok() {
            tracing::info!("namespace cache synced");
            flag.store(true, Ordering::SeqCst);
        }
    });
    tracing::info!("namespace source: cluster (reflector)");
    Ok((
        Arc::new(Namespaces {
            store: reader,
            client: client.clone(),
            handle: tokio::runtime::Handle::current(),
        }),
        Arc::new(Pods {
            client,
            handle: tokio::runtime::Handle::current(),
        }),
        synced,
    ))
}
