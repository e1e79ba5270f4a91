//! Counting API calls with an SDK interceptor.
//!
//! One interceptor instance is shared by every client of a collection, so the
//! counts cover all services and regions. `calls` counts operations (what the
//! collector asked for), `requests` counts HTTP attempts (retries included).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

#[derive(Debug, Default)]
struct Counts {
    calls: AtomicU64,
    requests: AtomicU64,
    by_operation: Mutex<BTreeMap<String, u64>>,
}

/// Shared, cheap to clone.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallCounter(Arc<Counts>);

impl CallCounter {
    pub(crate) fn calls(&self) -> u64 {
        self.0.calls.load(Ordering::Relaxed)
    }

    pub(crate) fn requests(&self) -> u64 {
        self.0.requests.load(Ordering::Relaxed)
    }

    /// Calls per `service:Operation` (service as the SDK names it, lowercased).
    pub(crate) fn by_operation(&self) -> BTreeMap<String, u64> {
        match self.0.by_operation.lock() {
            Ok(m) => m.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "RampartCallCounter"
    }

    // Not `read_before_execution`: client interceptors run that hook before
    // the operation's configuration (which holds its name) is applied.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.calls.fetch_add(1, Ordering::Relaxed);
        if let Some(meta) = cfg.load::<Metadata>() {
            let service: String = meta
                .service()
                .chars()
                .filter(|c| !c.is_whitespace())
                .flat_map(char::to_lowercase)
                .collect();
            let key = format!("{service}:{}", meta.name());
            let mut map = match self.0.by_operation.lock() {
                Ok(m) => m,
                Err(poisoned) => poisoned.into_inner(),
            };
            *map.entry(key).or_insert(0) += 1;
        }
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.requests.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}
