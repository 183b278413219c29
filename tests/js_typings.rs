//! The TypeScript unions of error and warning codes (`src/js/typings.d.ts`) against the codes the
//! Rust side can produce, so the two cannot drift apart.
//!
//! Why read the sources: the codes live in many modules (each error enum's `fn code`, the JS
//! boundary's `js_error(...)` calls, the `warn(...)` calls of every flow); a list kept by
//! hand beside them would drift exactly like the typings. The sources are
//! the one complete record, and the extraction below is strict about where a code may appear:
//!
//! - error codes: every string literal that is a match arm's value (`=> "CODE"`) inside a
//!   `fn code(` body anywhere in `src/`; the first argument of `js_error(` when it is a literal,
//!   and `=> "CODE"` arms, in `src/js/`;
//! - warning codes: a literal argument of a `warn(` call or of `warnings.push((`, and the `code:`
//!   field of a `Warning { .. }` literal, anywhere in `src/`.
//!
//! Both directions are checked: every produced code is in the union (a dashboard can switch on
//! it), and every code in the union is produced somewhere (no dead names). The handwritten
//! typings must also never fall back to `any`. Every error code carries a doc comment saying
//! whether retrying helps, and the dashboard's advice (`www/advice.js`) covers exactly the same codes.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path());
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// A code: upper-case ASCII letters, digits and underscores, starting with a letter.
fn is_code(s: &str) -> bool {
    s.len() >= 3
        && s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The index of the `"` closing the string literal whose opening `"` is at `open` (escaped
/// characters skipped), or the end of `bytes` when it is unterminated.
fn string_end(bytes: &[u8], open: usize) -> usize {
    let mut i = open + 1;
    while i < bytes.len() && bytes[i] != b'"' {
        if bytes[i] == b'\\' {
            i += 1;
        }
        i += 1;
    }
    i
}

/// The text between the bracket at `open` (`(` or `{`) and its match, string literals skipped.
fn balanced(text: &str, open: usize) -> &str {
    let bytes = text.as_bytes();
    let (o, c) = match bytes[open] {
        b'(' => (b'(', b')'),
        b'{' => (b'{', b'}'),
        other => panic!("not an opening bracket: {:?}", other as char),
    };
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = string_end(bytes, i),
            b if b == o => depth += 1,
            b if b == c => {
                depth -= 1;
                if depth == 0 {
                    return &text[open + 1..i];
                }
            }
            _ => {}
        }
        i += 1;
    }
    panic!("unbalanced bracket at byte {open}");
}

/// The top-level, comma-separated arguments of a call's inner text, trimmed.
fn arguments(inner: &str) -> Vec<&str> {
    let bytes = inner.as_bytes();
    let (mut depth, mut start, mut i) = (0i32, 0usize, 0usize);
    let mut out = Vec::new();
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = string_end(bytes, i),
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            b',' if depth == 0 => {
                out.push(inner[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(inner[start..].trim());
    out
}

/// `"CODE"` as a whole argument or value: the code.
fn literal_code(arg: &str) -> Option<&str> {
    let s = arg.strip_prefix('"')?.strip_suffix('"')?;
    is_code(s).then_some(s)
}

/// Every position just after `needle` in `text`.
fn after<'a>(text: &'a str, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    text.match_indices(needle)
        .map(move |(i, _)| i + needle.len())
}

/// The codes of `=> "CODE"` (or `=> { "CODE" }`) arms in `text`.
fn arm_codes(text: &str, out: &mut BTreeSet<String>) {
    for i in after(text, "=>") {
        let rest = text[i..].trim_start();
        // A block arm (`=> { "CODE" }`, as rustfmt writes long arms).
        let rest = rest.strip_prefix('{').map_or(rest, str::trim_start);
        if let Some(end) = rest.strip_prefix('"').and_then(|r| r.find('"')) {
            let s = &rest[1..=end];
            if is_code(s) {
                out.insert(s.to_string());
            }
        }
    }
}

struct Produced {
    errors: BTreeSet<String>,
    warnings: BTreeSet<String>,
}

fn produced_codes() -> Produced {
    let mut files = Vec::new();
    rust_files(&crate_root().join("src"), &mut files);
    assert!(
        files.len() > 10,
        "expected the crate's sources, got {files:?}"
    );
    let mut errors = BTreeSet::new();
    let mut warnings = BTreeSet::new();
    for path in &files {
        let text = fs::read_to_string(path).expect("read a source file");
        let in_js = path.parent().is_some_and(|p| p.ends_with("src/js"));
        // `fn code(&self) -> &'static str { match self { .. => "CODE", .. } }`, or a body
        // that is one literal (`fn code(&self) -> &'static str { "CODE" }`).
        for i in after(&text, "fn code(") {
            let open = i + text[i..].find('{').expect("a body after fn code(");
            let body = balanced(&text, open);
            arm_codes(body, &mut errors);
            if let Some(code) = literal_code(body.trim()) {
                errors.insert(code.to_string());
            }
        }
        if in_js {
            for i in after(&text, "js_error(") {
                let open = i - 1;
                if let Some(code) = arguments(balanced(&text, open))
                    .first()
                    .and_then(|a| literal_code(a))
                {
                    errors.insert(code.to_string());
                }
            }
            arm_codes(&text, &mut errors);
        }
        for needle in ["warn(", "warnings.push(("] {
            for i in after(&text, needle) {
                let open = i - 1;
                for arg in arguments(balanced(&text, open)) {
                    if let Some(code) = literal_code(arg) {
                        warnings.insert(code.to_string());
                    }
                }
            }
        }
        for i in after(&text, "Warning {") {
            let open = i - 1;
            for field in arguments(balanced(&text, open)) {
                if let Some(code) = field
                    .strip_prefix("code:")
                    .and_then(|v| literal_code(v.trim()))
                {
                    warnings.insert(code.to_string());
                }
            }
        }
    }
    Produced { errors, warnings }
}

fn typings() -> String {
    let path = crate_root().join("src/js/typings.d.ts");
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// `text` with its `/* … */` comments replaced by spaces (line breaks and byte offsets kept).
fn without_block_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("/*") {
        out.push_str(&rest[..open]);
        let close = rest[open..].find("*/").expect("a closed comment") + open + 2;
        for c in rest[open..close].chars() {
            match c {
                '\n' => out.push(c),
                _ => out.push_str(&" ".repeat(c.len_utf8())),
            }
        }
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

/// The text of `export type <name> = … ;` after the `=`, with its doc comments.
fn union_text<'a>(ts: &'a str, name: &str) -> &'a str {
    let head = format!("export type {name} =");
    let start = ts
        .find(&head)
        .unwrap_or_else(|| panic!("typings.d.ts: expected `{head}`, got none"))
        + head.len();
    // The first `;` outside comments (block comments, then `//` to the end of the line).
    let code: String = without_block_comments(&ts[start..])
        .lines()
        .map(|l| match l.find("//") {
            Some(i) => format!("{}{}\n", &l[..i], " ".repeat(l.len() - i)),
            None => format!("{l}\n"),
        })
        .collect();
    let end = start + code.find(';').expect("a `;` ending the union");
    &ts[start..end]
}

/// The string literals of `export type <name> = ... ;`, comments skipped.
fn union(ts: &str, name: &str) -> BTreeSet<String> {
    let text = without_block_comments(union_text(ts, name));
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code_part = line.split("//").next().unwrap_or("");
        for (k, piece) in code_part.split('"').enumerate() {
            if k % 2 == 1 {
                assert!(is_code(piece), "{name}: expected codes, got {piece:?}");
                assert!(
                    out.insert(piece.to_string()),
                    "{name}: {piece} listed twice"
                );
            }
        }
    }
    out
}

fn diff(a: &BTreeSet<String>, b: &BTreeSet<String>) -> Vec<String> {
    a.difference(b).cloned().collect()
}

#[test]
fn extraction_finds_known_codes_of_each_kind() {
    // Guards the extraction itself: one code per mechanism, each defined by the specs' flows
    // (DESIGN.md): a checkpoint error enum, an error enum reached only through delegation, a
    // literal at the JS boundary, a `fn code` that is one literal, a checkpoint warning, a
    // backfill warning at the JS boundary.
    let p = produced_codes();
    for code in [
        "STATE_ROOT_MISMATCH",
        "LC_SIGNATURE",
        "NO_SOURCE",
        "ALREADY_RUNNING",
    ] {
        assert!(
            p.errors.contains(code),
            "expected error code {code}, got {:?}",
            p.errors
        );
    }
    for code in ["PROVIDER_DISSENT", "BACKFILL_RESET", "WS_STALE_LENIENT"] {
        assert!(
            p.warnings.contains(code),
            "expected warning code {code}, got {:?}",
            p.warnings
        );
    }
}

/// Asserts that the union `name` of the typings declares exactly `produced`; `every` and `only`
/// name what the failure messages expect.
fn assert_union_declares(name: &str, produced: &BTreeSet<String>, every: &str, only: &str) {
    let declared = union(&typings(), name);
    let missing = diff(produced, &declared);
    assert!(
        missing.is_empty(),
        "{name} in src/js/typings.d.ts: expected {every}, missing {missing:?}"
    );
    let dead = diff(&declared, produced);
    assert!(
        dead.is_empty(),
        "{name} in src/js/typings.d.ts: expected {only}, got unknown {dead:?}"
    );
}

#[test]
fn every_error_code_is_in_the_typescript_union_and_back() {
    assert_union_declares(
        "ErrorCode",
        &produced_codes().errors,
        "every code the Rust side produces",
        "only codes the Rust side produces",
    );
}

#[test]
fn every_warning_code_is_in_the_typescript_union_and_back() {
    assert_union_declares(
        "WarningCode",
        &produced_codes().warnings,
        "every warning the Rust side emits",
        "only warnings the Rust side emits",
    );
}

#[test]
fn handwritten_typings_never_use_any() {
    let ts = typings();
    for (n, line) in ts.lines().enumerate() {
        let code_part = line.split("//").next().unwrap_or("");
        let words = code_part.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
        assert!(
            !words.clone().any(|w| w == "any"),
            "typings.d.ts line {}: expected precise types, got `any`: {line}",
            n + 1
        );
    }
}

/// Every error code is documented where a dashboard author reads it: a `/** … */` comment
/// right above it in the union that says what happened and, after `Retry:`, whether retrying
/// can help.
#[test]
fn every_error_code_has_a_doc_comment_saying_whether_to_retry() {
    let ts = typings();
    let text = union_text(&ts, "ErrorCode");
    let mut comment: Option<String> = None;
    let mut seen = 0;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = line.trim();
        if line.starts_with("/**") {
            let mut doc = line.to_string();
            while !doc.ends_with("*/") {
                doc.push(' ');
                doc.push_str(lines.next().expect("a closed comment").trim());
            }
            comment = Some(doc);
        } else if let Some(code) = line.strip_prefix("| \"") {
            let code = code.split('"').next().unwrap_or_default();
            let doc = comment.take().unwrap_or_else(|| {
                panic!("ErrorCode {code}: expected a /** */ comment above it, got none")
            });
            assert!(
                doc.contains("Retry:"),
                "ErrorCode {code}: expected its comment to say `Retry:` (whether retrying helps), got {doc}"
            );
            seen += 1;
        } else if !line.is_empty() && !line.starts_with("//") {
            panic!("ErrorCode: expected one `| \"CODE\"` per line under its comment, got {line:?}");
        }
    }
    assert_eq!(seen, union(&ts, "ErrorCode").len());
}

/// The codes `www/advice.js` has advice for: the keys of its `ADVICE` object and the codes of
/// the list that shares one advice (`for (const code of [ … ])`).
fn advised_codes() -> BTreeSet<String> {
    let path = crate_root().join("www/advice.js");
    let js =
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let object = &js[js.find("const ADVICE = {").expect("the ADVICE object")..];
    let object = &object[..object.find("\n};").expect("the end of ADVICE")];
    let mut out = BTreeSet::new();
    for line in object.lines().skip(1) {
        if let Some((key, _)) = line.strip_prefix("  ").and_then(|l| l.split_once(':')) {
            if is_code(key) {
                assert!(out.insert(key.to_string()), "advice.js: {key} twice");
            }
        }
    }
    let shared = &js[js
        .find("for (const code of [")
        .expect("the shared-advice list")..];
    let shared = &shared[..shared.find(']').expect("the end of the list")];
    for (k, piece) in shared.split('"').enumerate() {
        if k % 2 == 1 {
            assert!(is_code(piece), "advice.js: expected codes, got {piece:?}");
            assert!(out.insert(piece.to_string()), "advice.js: {piece} twice");
        }
    }
    out
}

#[test]
fn the_dashboard_advises_on_exactly_the_typed_error_codes() {
    let typed = union(&typings(), "ErrorCode");
    let advised = advised_codes();
    assert!(
        advised.len() > 40,
        "expected the advice list, got {advised:?}"
    );
    let missing = diff(&typed, &advised);
    assert!(
        missing.is_empty(),
        "www/advice.js: expected advice for every ErrorCode, missing {missing:?}"
    );
    let unknown = diff(&advised, &typed);
    assert!(
        unknown.is_empty(),
        "www/advice.js: expected advice only for ErrorCode codes, got unknown {unknown:?}"
    );
}
