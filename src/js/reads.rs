//! Verified reads of stored headers (`header()`, `headers()`, `blockRootAt()`): argument
//! conversion and result objects only; what is read and how it is verified is
//! `crate::store::reads`.
//!
//! `headers()` returns an async iterable built here (wasm-bindgen has no async generators). It
//! holds only a weak handle of the instance between batches, so a forgotten iterator never
//! counts as an operation in flight (which `reset()` refuses).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;

use super::{error, js_error, promise, set, Inner, LightSync};
use crate::store::reads::{self, READ_BATCH_SLOTS};
use crate::store::{HeaderRecord, Root, Store, StoreError, STATE_CHUNK_BYTES};
use crate::types::hex0x;

/// `INVALID_ARGUMENT` with an "expected …, got …" message.
fn invalid(what: &str, expected: &str, got: &JsValue) -> JsValue {
    js_error(
        "INVALID_ARGUMENT",
        &format!("{what}: expected {expected}, got {got:?}"),
        None,
    )
}

const SLOT: &str = "a slot (a non-negative integer number, bigint or decimal string)";

/// A slot from a safe-integer number, a bigint or a decimal string.
fn slot_of(what: &str, v: &JsValue) -> Result<u64, JsValue> {
    let parsed = if let Some(n) = v.as_f64() {
        (n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0).then_some(n as u64)
    } else if v.is_bigint() {
        v.clone()
            .unchecked_into::<js_sys::BigInt>()
            .to_string(10)
            .ok()
            .and_then(|s| String::from(s).parse::<u64>().ok())
    } else if let Some(s) = v.as_string() {
        let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        digits.then(|| s.parse::<u64>().ok()).flatten()
    } else {
        None
    };
    parsed.ok_or_else(|| invalid(what, SLOT, v))
}

/// A root from `0x` + 64 hex digits.
fn root_of(what: &str, s: &str, v: &JsValue) -> Result<Root, JsValue> {
    let hex = s.strip_prefix("0x").filter(|h| h.len() == 64);
    let mut root = [0u8; 32];
    match hex.map(|h| hex::decode_to_slice(h, &mut root)) {
        Some(Ok(())) => Ok(root),
        _ => Err(invalid(what, "a block root (0x and 64 hex digits)", v)),
    }
}

/// The `StoredHeader` object of a verified record.
fn header_js(h: &HeaderRecord) -> JsValue {
    let header = Object::new();
    let mut proposer = [0u8; 8];
    proposer.copy_from_slice(&h.header[8..16]);
    let mut body = [0u8; 32];
    body.copy_from_slice(&h.header[80..112]);
    set(&header, "slot", h.slot.to_string());
    set(
        &header,
        "proposerIndex",
        u64::from_le_bytes(proposer).to_string(),
    );
    set(&header, "parentRoot", hex0x(h.parent_root()));
    set(&header, "stateRoot", hex0x(h.state_root()));
    set(&header, "bodyRoot", hex0x(body));
    let o = Object::new();
    set(&o, "slot", h.slot.to_string());
    set(&o, "root", hex0x(h.root));
    set(&o, "header", header);
    o.into()
}

fn optional_header(h: Option<HeaderRecord>) -> JsValue {
    h.as_ref().map_or(JsValue::NULL, header_js)
}

/// Where a `headers()` iteration stands: the next slot to read, the last one, and the headers
/// of the batch read but not yet handed out.
struct Iteration {
    inner: Weak<Inner>,
    next: u64,
    to: u64,
    /// The range was narrowed to where headers can be (done by the first `next()`, so no reads
    /// of the empty slots below the backfill or above the head).
    clamped: bool,
    buffer: VecDeque<HeaderRecord>,
}

fn iter_result(value: JsValue, done: bool) -> JsValue {
    let o = Object::new();
    set(&o, "value", value);
    set(&o, "done", done);
    o.into()
}

/// The next header of `state`, reading batches of [`READ_BATCH_SLOTS`] until one has headers or
/// the range is done. No `RefCell` borrow is held across an `.await`.
async fn next_header(state: Rc<RefCell<Iteration>>) -> Result<JsValue, JsValue> {
    let unclamped = {
        let s = state.borrow();
        (!s.clamped).then(|| s.inner.upgrade())
    };
    if let Some(inner) = unclamped {
        let bounds = match inner {
            Some(inner) => reads::stored_bounds(&inner.store)
                .await
                .map_err(|e| error::from_store(&e))?,
            None => None,
        };
        let mut s = state.borrow_mut();
        s.clamped = true;
        match bounds {
            Some((lo, hi)) => {
                s.next = s.next.max(lo);
                s.to = s.to.min(hi);
            }
            // No anchor: nothing of a chain is stored.
            None => (s.next, s.to) = (1, 0),
        }
    }
    loop {
        let (range, inner) = {
            let mut s = state.borrow_mut();
            if let Some(h) = s.buffer.pop_front() {
                return Ok(iter_result(header_js(&h), false));
            }
            if s.next > s.to {
                return Ok(iter_result(JsValue::UNDEFINED, true));
            }
            let hi = s.next.saturating_add(READ_BATCH_SLOTS - 1).min(s.to);
            let range = (s.next, hi);
            s.next = hi.saturating_add(1);
            if hi == u64::MAX {
                s.to = 0;
                s.next = 1;
            }
            (range, s.inner.upgrade())
        };
        let Some(inner) = inner else {
            return Err(js_error(
                "INVALID_ARGUMENT",
                "headers: expected the LightSync instance to be alive, got it freed",
                None,
            ));
        };
        let batch = reads::headers_in(&inner.store, range.0, range.1)
            .await
            .map_err(|e| error::from_store(&e))?;
        state.borrow_mut().buffer.extend(batch);
    }
}

/// The async iterable of `headers()`: its `[Symbol.asyncIterator]()` is an iterator whose
/// `next()` resolves with the next stored header.
fn async_iterable(state: Rc<RefCell<Iteration>>) -> JsValue {
    let iterator = Object::new();
    let next = Closure::<dyn FnMut() -> Promise>::new(move || {
        promise(Box::pin(next_header(state.clone())))
    });
    set(&iterator, "next", next.into_js_value());
    let iterable = Object::new();
    let it: JsValue = iterator.into();
    let get = Closure::<dyn FnMut() -> JsValue>::new(move || it.clone());
    let _ = Reflect::set(
        &iterable,
        &js_sys::Symbol::async_iterator(),
        &get.into_js_value(),
    );
    iterable.into()
}

/// The `fromSlot`/`toSlot` of `headers(range)`, each optional.
fn range_of(range: &JsValue) -> Result<(Option<u64>, Option<u64>), JsValue> {
    if range.is_undefined() || range.is_null() {
        return Ok((None, None));
    }
    if !range.is_object() {
        return Err(invalid(
            "headers",
            "an object { fromSlot?, toSlot? }",
            range,
        ));
    }
    let field = |key: &str| -> Result<Option<u64>, JsValue> {
        let v = Reflect::get(range, &key.into()).unwrap_or(JsValue::UNDEFINED);
        if v.is_undefined() || v.is_null() {
            return Ok(None);
        }
        slot_of(&format!("headers: {key}"), &v).map(Some)
    };
    Ok((field("fromSlot")?, field("toSlot")?))
}

/// The kept state of the active anchor (option `keepState`), assembled in a JS `Uint8Array`
/// chunk by chunk (wasm holds one chunk at a time); `None` when none is kept for it. Each chunk
/// is checked against the record (every chunk but the last full, the lengths adding up).
async fn kept_state_bytes(inner: &Inner) -> Result<Option<js_sys::Uint8Array>, StoreError> {
    let (Some(kept), Some(anchor)) = (
        inner.store.kept_state().await?,
        inner.store.active_anchor().await?,
    ) else {
        return Ok(None);
    };
    if kept.block_root != anchor.block_root {
        return Ok(None);
    }
    let corrupt = |reason: String| StoreError::CorruptRecord {
        store: "state_chunks",
        reason,
    };
    let length = u32::try_from(kept.length)
        .map_err(|_| corrupt(format!("expected at most 4 GiB, got {} bytes", kept.length)))?;
    let out = js_sys::Uint8Array::new_with_length(length);
    let mut at: u64 = 0;
    for index in 0..kept.chunks {
        let chunk = inner
            .store
            .state_chunk(kept.id, index)
            .await?
            .ok_or_else(|| {
                corrupt(format!(
                    "expected chunk {index} of {}, got none",
                    kept.chunks
                ))
            })?;
        let last = index + 1 == kept.chunks;
        let expected = (kept.length - at).min(STATE_CHUNK_BYTES as u64);
        if chunk.len() as u64 != expected || (!last && chunk.len() != STATE_CHUNK_BYTES) {
            return Err(corrupt(format!(
                "expected chunk {index} of {expected} bytes, got {}",
                chunk.len()
            )));
        }
        out.set(&js_sys::Uint8Array::from(&chunk[..]), at as u32);
        at += chunk.len() as u64;
    }
    if at != kept.length {
        return Err(corrupt(format!(
            "expected {} bytes in {} chunks, got {at}",
            kept.length, kept.chunks
        )));
    }
    Ok(Some(out))
}

#[wasm_bindgen]
impl LightSync {
    /// The active anchor's state as SSZ, when `keepState` kept it; `null` otherwise.
    #[wasm_bindgen(js_name = stateBytes, skip_typescript)]
    pub fn state_bytes(&self) -> Promise {
        let inner = self.inner.clone();
        promise(Box::pin(async move {
            match kept_state_bytes(&inner).await {
                Ok(Some(bytes)) => Ok(bytes.into()),
                Ok(None) => Ok(JsValue::NULL),
                Err(e) => Err(error::from_store(&e)),
            }
        }))
    }

    /// The stored header at a slot (a number, bigint or decimal string) or with a block root
    /// (`0x`-hex), verified against its bytes; `null` when none is stored.
    #[wasm_bindgen(skip_typescript)]
    pub fn header(&self, slot_or_root: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(Box::pin(async move {
            let found = match slot_or_root.as_string().filter(|s| s.starts_with("0x")) {
                Some(s) => {
                    let root = root_of("header", &s, &slot_or_root)?;
                    reads::header_by_root(&inner.store, &root).await
                }
                None => {
                    let slot = slot_of("header", &slot_or_root)?;
                    reads::header_at(&inner.store, slot).await
                }
            };
            found
                .map(optional_header)
                .map_err(|e| error::from_store(&e))
        }))
    }

    /// The stored headers with `fromSlot <= slot <= toSlot`, ascending, verified, read in
    /// batches: an async iterable. Bounds default to the stored range.
    #[wasm_bindgen(skip_typescript)]
    pub fn headers(&self, range: JsValue) -> Result<JsValue, JsValue> {
        let (from, to) = range_of(&range)?;
        let inner = Rc::downgrade(&self.inner);
        let state = Rc::new(RefCell::new(Iteration {
            inner,
            next: from.unwrap_or(0),
            to: to.unwrap_or(u64::MAX),
            clamped: false,
            buffer: VecDeque::new(),
        }));
        Ok(async_iterable(state))
    }

    /// The root of the latest block at or before `slot` (`get_block_root_at_slot`), from stored
    /// headers or the anchor's `block_roots`; `null` when the store cannot prove it.
    #[wasm_bindgen(js_name = blockRootAt, skip_typescript)]
    pub fn block_root_at(&self, slot: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(Box::pin(async move {
            let at = slot_of("blockRootAt", &slot)?;
            let found = reads::block_root_at(&inner.store, at)
                .await
                .map_err(|e| error::from_store(&e))?;
            Ok(found.map_or(JsValue::NULL, |r| {
                let o = Object::new();
                set(&o, "slot", at.to_string());
                set(&o, "root", hex0x(r.root));
                set(
                    &o,
                    "blockSlot",
                    r.block_slot.map_or(JsValue::NULL, |s| s.to_string().into()),
                );
                set(&o, "source", r.source.as_str());
                o.into()
            }))
        }))
    }
}
