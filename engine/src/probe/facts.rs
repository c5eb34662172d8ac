//! The facts of one diagnosis: each key is observed at most once, from
//! the live host or from what was recorded; facts derived from other facts
//! (which `AppArmor` profile covers a bwrap path…) are computed the same way
//! from any of them.

use super::{Context, Host};
use crate::facts::{Obs, Observation};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Where facts come from.
pub enum Source<'a> {
    /// This host, now.
    Live(&'a Host),
    /// Only what was recorded (a snapshot, a rule example); probes that
    /// would read the host answer "not recorded".
    Recorded(BTreeMap<String, Obs>),
}

/// The facts of one diagnosis: each key is probed at most once.
pub struct Facts<'a> {
    pub source: Source<'a>,
    pub ctx: Context,
    cache: RefCell<BTreeMap<String, Obs>>,
    log: RefCell<Vec<Observation>>,
    /// After this, the live host is not probed any more.
    deadline: Option<Instant>,
}

impl<'a> Facts<'a> {
    #[must_use]
    pub fn live(host: &'a Host, ctx: Context) -> Facts<'a> {
        Facts {
            source: Source::Live(host),
            ctx,
            cache: RefCell::default(),
            log: RefCell::default(),
            deadline: None,
        }
    }

    #[must_use]
    pub fn recorded(facts: BTreeMap<String, Obs>, ctx: Context) -> Facts<'static> {
        Facts {
            source: Source::Recorded(facts),
            ctx,
            cache: RefCell::default(),
            log: RefCell::default(),
            deadline: None,
        }
    }

    /// Probe the live host only until `at`: a fact first asked for later
    /// is unavailable (a probe already running ends at its own bound).
    pub fn with_deadline(mut self, at: Instant) -> Self {
        self.deadline = Some(at);
        self
    }

    /// The fact `key`, observing it if this is the first time.
    pub fn get(&self, key: &str) -> Obs {
        if let Some(o) = self.cache.borrow().get(key) {
            return o.clone();
        }
        let start = Instant::now();
        crate::fault::point("probe");
        crate::fault::hang_point("probe-hang");
        let obs = match &self.source {
            Source::Recorded(m) if m.contains_key(key) => m[key].clone(),
            Source::Recorded(_) => super::derive(self, key)
                .unwrap_or_else(|| Obs::unavailable("not recorded in the snapshot")),
            Source::Live(_) if self.deadline.is_some_and(|d| start >= d) => {
                super::derive(self, key).unwrap_or_else(|| {
                    Obs::unavailable("not probed: the diagnosis deadline had passed")
                })
            }
            Source::Live(host) => super::observe(host, self, key),
        };
        self.record(key, obs.clone(), start.elapsed());
        obs
    }

    fn record(&self, key: &str, obs: Obs, took: Duration) {
        self.cache.borrow_mut().insert(key.to_string(), obs.clone());
        self.log.borrow_mut().push(Observation {
            key: key.to_string(),
            obs,
            took_ms: took.as_secs_f64() * 1000.0,
        });
    }

    /// Every fact observed so far, in the order it was first asked for.
    pub fn observations(&self) -> Vec<Observation> {
        self.log.borrow().clone()
    }

    /// Whether the facts come from this host, now.
    pub fn is_live(&self) -> bool {
        matches!(self.source, Source::Live(_))
    }
}
