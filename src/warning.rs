//! Warnings: something the user should know that did not stop the run, as a stable `code` and
//! a message composed here, once, so the JS API and the command line say the same thing and the
//! edges only pass the pair on.
//!
//! Codes are upper-case and stable (the JS `WarningCode` union lists them); messages are for
//! people and may change.

use crate::event::{Event, ResetReason};

/// One warning: a stable code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Stable code (`STATE_ID_OVERRIDES_ROOT`, `BACKFILL_RETRY`, …).
    pub code: &'static str,
    /// What happened and what it means, for people.
    pub message: String,
}

impl From<(&'static str, String)> for Warning {
    fn from((code, message): (&'static str, String)) -> Self {
        Warning { code, message }
    }
}

impl Warning {
    /// `stateId` and `trustedBlockRoot` were both given: the provider is trusted, the root unused.
    pub fn state_id_overrides_root(state_id: &str, root: &str) -> Warning {
        Warning {
            code: "STATE_ID_OVERRIDES_ROOT",
            message: format!(
                "stateId {state_id:?} given with trustedBlockRoot {root}: the provider is trusted and the root is ignored"
            ),
        }
    }

    /// The active anchor carries no recorded state roots, so backfill cannot check whole chunks.
    pub fn no_anchor_roots() -> Warning {
        Warning {
            code: "NO_ANCHOR_ROOTS",
            message: "the active anchor has no recorded state roots (stored by an older version or without a state); backfill walks the hash chain alone".into(),
        }
    }

    /// The hash workers could not start (`reason`); the state is hashed on the calling thread.
    pub fn hash_workers_failed(reason: &str) -> Warning {
        Warning {
            code: "HASH_WORKERS_FAILED",
            message: format!("no hash workers ({reason}); the state is hashed on the main thread"),
        }
    }
}

impl Event {
    /// The warning this event is, if it is one (the JS `warning` event, a CLI line on stderr):
    /// a flow's own warnings, a provider rejected by a light-rebuild step, and backfill's
    /// retries, quarantines, avoided providers, resets and unverified chunks.
    pub fn warning(&self) -> Option<Warning> {
        Some(match self {
            Event::Warning { code, message } => Warning {
                code,
                message: message.clone(),
            },
            Event::ProviderRejected {
                step,
                period,
                provider,
                code,
                message,
            } => {
                let at = period.map(|p| format!(", period {p}")).unwrap_or_default();
                Warning {
                    code: "REBUILD_PROVIDER_REJECTED",
                    message: format!(
                        "light rebuild, step {step}{at}: provider {provider} failed ({code}), trying the next one: {message}"
                    ),
                }
            }
            Event::Retry {
                provider,
                attempt,
                wait_ms,
                reason,
                ..
            } => Warning {
                code: "BACKFILL_RETRY",
                message: format!("{provider}: retry {attempt} in {wait_ms} ms: {reason}"),
            },
            Event::ProviderQuarantined {
                provider,
                strikes,
                quarantine_ms,
                reason,
                ..
            } => Warning {
                code: "PROVIDER_QUARANTINED",
                message: format!("{provider} quarantined for {quarantine_ms} ms after {strikes} consecutive failure(s): {reason}"),
            },
            Event::ProviderAvoided {
                provider,
                code,
                reason,
            } => Warning {
                code: "PROVIDER_AVOIDED",
                message: format!("{provider} avoided ({code}): {reason}"),
            },
            Event::Reset { reason } => Warning {
                code: "BACKFILL_RESET",
                message: reset_message(reason),
            },
            Event::ChunkUnverified { chunk } => Warning {
                code: "CHUNK_UNVERIFIED",
                message: format!(
                    "chunk {chunk} did not match its historical summary; walked by hash chain"
                ),
            },
            _ => return None,
        })
    }
}

fn reset_message(reason: &ResetReason) -> String {
    match reason {
        ResetReason::WsStale {
            anchor_epoch,
            ws_period_epochs,
            current_epoch,
        } => format!(
            "stored backfill reset: its anchor (epoch {anchor_epoch}, period {ws_period_epochs} epochs) is outside the weak-subjectivity period at epoch {current_epoch}"
        ),
        ResetReason::AnchorChanged => {
            "stored backfill reset: it does not hang from the active anchor".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backfill_events_that_are_warnings_carry_their_code_and_numbers() {
        let w = Event::ProviderQuarantined {
            provider: "http://127.0.0.1:1".into(),
            strikes: 2,
            failures: 3,
            quarantine_ms: 4000,
            reason: "HTTP 503".into(),
        }
        .warning()
        .expect("a warning");
        assert_eq!(w.code, "PROVIDER_QUARANTINED");
        assert!(
            w.message.contains("4000 ms after 2 consecutive"),
            "{}",
            w.message
        );
        let reset = Event::Reset {
            reason: ResetReason::WsStale {
                anchor_epoch: 7,
                ws_period_epochs: 256,
                current_epoch: 300,
            },
        }
        .warning()
        .expect("a warning");
        assert_eq!(reset.code, "BACKFILL_RESET");
        assert!(
            reset.message.contains("epoch 7, period 256 epochs")
                && reset.message.contains("at epoch 300"),
            "{}",
            reset.message
        );
        assert_eq!(Event::ChunkVerified { chunk: 1 }.warning(), None);
    }

    #[test]
    fn a_rejected_rebuild_provider_names_step_period_and_code() {
        let w = Event::ProviderRejected {
            step: crate::event::RebuildStep::Updates,
            period: Some(12),
            provider: "http://127.0.0.1:2".into(),
            code: "LC_SIGNATURE",
            message: "bad".into(),
        }
        .warning()
        .expect("a warning");
        assert_eq!(w.code, "REBUILD_PROVIDER_REJECTED");
        assert!(
            w.message.contains("period 12") && w.message.contains("(LC_SIGNATURE)"),
            "{}",
            w.message
        );
    }
}
