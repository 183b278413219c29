//! A panic or a trap inside the wasm never leaves a `start()` Promise pending.
//!
//! On wasm32 a panic aborts: the panic hook runs, then the instance traps (`unreachable`) and
//! the frames of the call that panicked are abandoned without unwinding. The future being
//! polled is never polled again, so a Promise made by `future_to_promise` would never settle,
//! and the `LightSync` would say `syncing` and refuse the next `start()` forever. The code
//! avoids panics on provider-sized values (fallible allocation, ceilings, see
//! `crate::beacon_api::limits`); this module is the net for the rest:
//!
//! - every guarded call is registered with its Promise's `reject` and its instance;
//! - a panic hook (chained before the previous hook) and, for traps that skip the hook (an
//!   allocation failure aborts without panicking), a global `error` / `unhandledrejection`
//!   listener for `WebAssembly.RuntimeError` reject every registered call with a
//!   `LightSyncError` of code `INTERNAL` and mark its instance as trapped.
//!
//! What "usable again" means: the trapped call's Promise rejects with `INTERNAL`; its instance's
//! `status().mode` is `"error"`; `start()` on that instance is accepted again (the abandoned
//! run, if it is still alive, is superseded and stops at its next abort check); and
//! `LightSync.create()` makes new instances as before. Memory the abandoned frames held is not
//! given back and, when the future itself died, that instance's `reset()` keeps counting it as
//! in flight; reload the page for a clean module.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::error::js_error;
use super::{Call, Inner};

/// One call whose Promise is still pending.
struct Pending {
    id: u64,
    inner: Weak<Inner>,
    reject: Function,
}

thread_local! {
    static PENDING: RefCell<Vec<Pending>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
    static INSTALLED: Cell<bool> = const { Cell::new(false) };
}

/// Installs the panic hook and the trap listeners, once per thread (window or worker).
pub(crate) fn install() {
    if INSTALLED.with(|i| i.replace(true)) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        fail_all(&format!("a panic inside the wasm: {info}"));
        previous(info);
    }));
    let on_trap = Closure::<dyn Fn(JsValue)>::new(|event: JsValue| {
        let reason = ["error", "reason"].iter().find_map(|k| {
            Reflect::get(&event, &(*k).into())
                .ok()
                .filter(|v| v.is_object())
        });
        let Some(reason) = reason else { return };
        let runtime_error = Reflect::get(&js_sys::global(), &"WebAssembly".into())
            .and_then(|w| Reflect::get(&w, &"RuntimeError".into()))
            .ok()
            .and_then(|c| c.dyn_into::<Function>().ok());
        if runtime_error.is_some_and(|c| js_instanceof(&reason, &c)) {
            let message = Reflect::get(&reason, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_default();
            fail_all(&format!("a WebAssembly trap: {message}"));
        }
    });
    let global = js_sys::global();
    if let Some(add) = Reflect::get(&global, &"addEventListener".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
    {
        for name in ["error", "unhandledrejection"] {
            let _ = add.call2(&global, &name.into(), on_trap.as_ref());
        }
    }
    on_trap.forget();
}

/// `v instanceof c`, for a constructor looked up at run time.
fn js_instanceof(v: &JsValue, c: &Function) -> bool {
    let has_instance = Reflect::get(&js_sys::global(), &"Symbol".into())
        .and_then(|s| Reflect::get(&s, &"hasInstance".into()))
        .ok();
    has_instance
        .and_then(|k| Reflect::get(c, &k).ok())
        .and_then(|f| f.dyn_into::<Function>().ok())
        .and_then(|f| f.call1(c, v).ok())
        .is_some_and(|r| r.is_truthy())
}

/// Rejects every pending call with `INTERNAL` and marks its instance as trapped. Runs inside a
/// panic hook: touches only `Cell`s, and skips what is borrowed rather than panicking again.
fn fail_all(reason: &str) {
    let pending = PENDING
        .try_with(|p| p.try_borrow_mut().map(|mut p| std::mem::take(&mut *p)).ok())
        .ok()
        .flatten()
        .unwrap_or_default();
    for p in pending {
        if let Some(inner) = p.inner.upgrade() {
            inner.mark_trapped();
        }
        let error = js_error(
            "INTERNAL",
            &format!(
                "internal error: expected the call to finish, got {reason}; the call was abandoned and the instance can start again"
            ),
            None,
        );
        let _ = p.reject.call1(&JsValue::NULL, &error);
    }
}

/// A Promise of `call` on `inner` that settles even when the wasm traps while it runs.
pub(crate) fn guarded(inner: &Rc<Inner>, call: Call) -> Promise {
    install();
    let id = NEXT_ID.with(|n| n.replace(n.get() + 1));
    let mut settle: Option<(Function, Function)> = None;
    let promise = Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
    let Some((resolve, reject)) = settle else {
        return promise;
    };
    PENDING.with(|p| {
        p.borrow_mut().push(Pending {
            id,
            inner: Rc::downgrade(inner),
            reject: reject.clone(),
        })
    });
    wasm_bindgen_futures::spawn_local(async move {
        let result = call.await;
        let mine = PENDING.with(|p| {
            let mut p = p.borrow_mut();
            let before = p.len();
            p.retain(|x| x.id != id);
            p.len() != before
        });
        if !mine {
            return; // Already rejected with INTERNAL.
        }
        let _ = match result {
            Ok(v) => resolve.call1(&JsValue::NULL, &v),
            Err(e) => reject.call1(&JsValue::NULL, &e),
        };
    });
    promise
}
