//! Reading the `LightSync.create(options)` object: JS values become a
//! [`crate::options::OptionValue`] tree, and the core's [`crate::options`] checks it and decides;
//! only what names a browser object (`signal`) is read here.

use std::rc::Rc;

use futures::future::LocalBoxFuture;
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Blob};

use super::error::{from_options, invalid_options};
use crate::checkpoint::{ReadAt, StateFile};
use crate::options::OptionValue;

/// The parsed options: the core's, and what only the platform knows (the signal, and the
/// `hashWorkers` default from `navigator.hardwareConcurrency`).
pub struct Options {
    /// The checked options (`core.hash_workers` is what was given; see `hash_workers`).
    pub core: crate::options::Options,
    pub signal: Option<AbortSignal>,
    /// `hashWorkers`, or [`crate::options::default_hash_workers`] of
    /// `navigator.hardwareConcurrency`: Web Workers that hash a downloaded state while it arrives
    /// (0: the main thread hashes it, in slices).
    pub hash_workers: usize,
}

/// Deepest nesting converted: options are shallow, and a cycle must not recurse forever.
const MAX_DEPTH: usize = 16;

/// `value` as an [`OptionValue`]: `undefined`/`null`, booleans, numbers, strings, an
/// `ArrayBuffer`, a `Uint8Array` or a `Blob` (read later, a piece at a time), arrays and plain
/// objects; anything else is described.
pub fn option_value(value: &JsValue) -> OptionValue {
    convert(value, 0)
}

fn convert(v: &JsValue, depth: usize) -> OptionValue {
    if v.is_undefined() || v.is_null() {
        OptionValue::Null
    } else if let Some(b) = v.as_bool() {
        OptionValue::Bool(b)
    } else if let Some(n) = v.as_f64() {
        OptionValue::Number(n)
    } else if let Some(s) = v.as_string() {
        OptionValue::String(s)
    } else if let Some(buf) = v.dyn_ref::<js_sys::ArrayBuffer>() {
        OptionValue::File(StateFile::new(Rc::new(JsBytes(Uint8Array::new(buf)))))
    } else if let Some(arr) = v.dyn_ref::<Uint8Array>() {
        OptionValue::File(StateFile::new(Rc::new(JsBytes(arr.clone()))))
    } else if let Some(blob) = v.dyn_ref::<Blob>() {
        OptionValue::File(StateFile::new(Rc::new(JsBlob::new(blob.clone()))))
    } else if depth >= MAX_DEPTH {
        OptionValue::Other(format!("a value nested deeper than {MAX_DEPTH} levels"))
    } else if let Some(arr) = v.dyn_ref::<js_sys::Array>() {
        OptionValue::List(arr.iter().map(|x| convert(&x, depth + 1)).collect())
    } else if v.is_object() && !v.is_function() {
        let entries = Object::entries(v.unchecked_ref());
        OptionValue::Object(
            entries
                .iter()
                .filter_map(|pair| {
                    let pair: js_sys::Array = pair.dyn_into().ok()?;
                    Some((pair.get(0).as_string()?, convert(&pair.get(1), depth + 1)))
                })
                .collect(),
        )
    } else {
        OptionValue::Other(format!("{v:?}"))
    }
}

/// An `ArrayBuffer` or `Uint8Array` given as `stateFile`: copied into wasm memory a piece at a
/// time as the hasher asks, never whole. A buffer detached meanwhile reads short, which is
/// refused.
struct JsBytes(Uint8Array);

impl ReadAt for JsBytes {
    fn len(&self) -> u64 {
        u64::from(self.0.length())
    }

    fn read_at(&self, offset: u64, len: usize) -> LocalBoxFuture<'_, Result<Vec<u8>, String>> {
        let end = offset.saturating_add(len as u64).min(self.len());
        let piece = self.0.subarray(offset as u32, end as u32).to_vec();
        Box::pin(async move { Ok(piece) })
    }
}

/// A `Blob` given as `stateFile` (a `File` from `<input type="file">` or a drop): read a slice
/// at a time, so the file is never whole in memory. Each slice is read through its `stream()`
/// with a BYOB reader into one reused buffer: `Blob.slice().arrayBuffer()` makes a new buffer
/// per slice, and those wait for the garbage collector (measured: 48-75 MiB of them at the peak
/// of a 72-280 MB file, where the stream's buffer is one 1 MiB block). Where BYOB readers of
/// blob streams are missing, or a stream fails (the reason it gives is not the file's), the
/// slice is read with `arrayBuffer()`, whose error names the cause (`NotReadableError` for a
/// file changed on disk).
struct JsBlob {
    blob: Blob,
    /// The BYOB reads' buffer, back from the last read (a read detaches the one it is given).
    buffer: std::cell::RefCell<Option<js_sys::ArrayBuffer>>,
}

impl JsBlob {
    fn new(blob: Blob) -> Self {
        JsBlob {
            blob,
            buffer: std::cell::RefCell::new(None),
        }
    }

    /// `slice`'s bytes through a BYOB reader of its stream; `None` when that is not possible
    /// or the stream failed.
    async fn read_stream(&self, slice: &Blob, len: usize) -> Option<Vec<u8>> {
        let reader = crate::beacon_api::byob_reader(&slice.stream())?;
        let read: js_sys::Function = Reflect::get(&reader, &"read".into())
            .ok()?
            .dyn_into()
            .ok()?;
        let mut out = Vec::with_capacity(len);
        loop {
            let buffer = self
                .buffer
                .borrow_mut()
                .take()
                .filter(|b| b.byte_length() as usize >= len.max(1))
                .unwrap_or_else(|| js_sys::ArrayBuffer::new(len.max(1) as u32));
            let promise: js_sys::Promise = read
                .call1(&reader, &Uint8Array::new(&buffer))
                .ok()?
                .dyn_into()
                .ok()?;
            let chunk = JsFuture::from(promise).await.ok()?;
            let done = Reflect::get(&chunk, &"done".into()).ok()?.as_bool()?;
            let value = Reflect::get(&chunk, &"value".into())
                .ok()
                .and_then(|v| v.dyn_into::<Uint8Array>().ok());
            // The buffer given to `read` is detached; the view's is the one to reuse.
            if let Some(v) = &value {
                *self.buffer.borrow_mut() = Some(v.buffer());
            }
            if done {
                return (out.len() == len).then_some(out);
            }
            let value = value?;
            let n = value.length() as usize;
            if out.len() + n > len {
                return None;
            }
            let at = out.len();
            out.resize(at + n, 0);
            value.copy_to(&mut out[at..]);
        }
    }
}

impl ReadAt for JsBlob {
    fn len(&self) -> u64 {
        self.blob.size() as u64
    }

    fn read_at(&self, offset: u64, len: usize) -> LocalBoxFuture<'_, Result<Vec<u8>, String>> {
        let end = offset.saturating_add(len as u64);
        let slice = self.blob.slice_with_f64_and_f64(offset as f64, end as f64);
        Box::pin(async move {
            let slice = slice.map_err(|e| read_error(&e))?;
            if let Some(bytes) = self.read_stream(&slice, len).await {
                return Ok(bytes);
            }
            let buf = JsFuture::from(slice.array_buffer())
                .await
                .map_err(|e| read_error(&e))?;
            Ok(Uint8Array::new(&buf).to_vec())
        })
    }
}

/// What a failed `Blob` read says: a `DOMException`'s name and message (`NotReadableError`
/// when the file changed or went away), or the value as it prints.
fn read_error(e: &JsValue) -> String {
    match e.dyn_ref::<web_sys::DomException>() {
        Some(d) => format!("{}: {}", d.name(), d.message()),
        None => format!("{e:?}"),
    }
}

/// `navigator.hardwareConcurrency`, where the context has it.
fn hardware_concurrency() -> Option<f64> {
    Reflect::get(&js_sys::global(), &"navigator".into())
        .ok()
        .and_then(|n| Reflect::get(&n, &"hardwareConcurrency".into()).ok())
        .and_then(|c| c.as_f64())
}

/// The `signal` of an options object, if given: an `AbortSignal` (`what` names the options in
/// the error).
pub fn signal(options: &JsValue, what: &str) -> Result<Option<AbortSignal>, JsValue> {
    if !options.is_object() {
        return Ok(None);
    }
    let s = Reflect::get(options, &"signal".into()).unwrap_or(JsValue::UNDEFINED);
    if s.is_undefined() || s.is_null() {
        return Ok(None);
    }
    s.dyn_into::<AbortSignal>()
        .map(Some)
        .map_err(|s| invalid_options(format!("{what}signal: expected an AbortSignal, got {s:?}")))
}

/// Reads and checks the options object.
pub fn parse(options: &JsValue) -> Result<Options, JsValue> {
    let signal = signal(options, "")?;
    let core = crate::options::parse(option_value(options)).map_err(|e| from_options(&e))?;
    let hash_workers = core
        .hash_workers
        .unwrap_or_else(|| crate::options::default_hash_workers(hardware_concurrency()));
    Ok(Options {
        core,
        signal,
        hash_workers,
    })
}
