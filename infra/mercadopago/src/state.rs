//! The in-memory state behind every route, under one lock: preferences, payments, OAuth codes
//! and tokens, faults and the request log.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;

use crate::config::Config;
use crate::error::{Error, missing};
use crate::oauth::Grant;
use crate::observe::Fault;
use crate::payments::Payment;

#[derive(Default)]
pub(crate) struct Inner {
    pub(crate) preferences: HashMap<String, Value>,
    pub(crate) payments: BTreeMap<u64, Payment>,
    counter: u64,
    pub(crate) codes: HashMap<String, Grant>,
    pub(crate) refresh_tokens: HashMap<String, u64>,
    pub(crate) revoked: HashSet<String>,
    pub(crate) faults: Vec<Fault>,
    pub(crate) requests: Vec<Value>,
}

impl Inner {
    pub(crate) fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// The payment `id`, if `seller` (when given) collects it.
    pub(crate) fn payment(&mut self, id: &str, seller: Option<u64>) -> Result<&mut Payment, Error> {
        let id = id.parse::<u64>().unwrap_or_default();
        let payment = self.payments.get_mut(&id);
        let payment = payment.filter(|p| seller.is_none_or(|s| p.json["collector_id"] == s));
        payment.ok_or_else(|| missing("payment"))
    }

    /// The first fault whose prefix matches, counted down (and dropped when used up).
    pub(crate) fn take_fault(&mut self, path: &str) -> Option<Fault> {
        let matches = |f: &Fault| path.starts_with(&f.path_prefix);
        let at = self.faults.iter().position(matches)?;
        let fault = self.faults[at].clone();
        if let Some(times) = &mut self.faults[at].times {
            *times -= 1;
        }
        if self.faults[at].times == Some(0) {
            self.faults.remove(at);
        }
        Some(fault)
    }
}

pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) base_url: String,
    pub(crate) http: reqwest::Client,
    pub(crate) inner: Mutex<Inner>,
}

#[derive(Clone)]
pub(crate) struct App(pub(crate) Arc<Shared>);

impl App {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        let inner = self.0.inner.lock();
        inner.unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
