//! Hostile input never panics or hangs: random bytes, mutated scenarios, huge files, deep
//! nesting and gigantic numbers load or fail with an error.

use proptest::prelude::*;
use std::path::{Path, PathBuf};
use tabletop::scenario;

fn valid_texts() -> Vec<String> {
    let mut texts = vec![scenario::STARTER.to_string()];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    if let Ok(rd) = std::fs::read_dir(dir) {
        let mut files: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for f in files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        {
            if let Ok(t) = std::fs::read_to_string(f) {
                texts.push(t);
            }
        }
    }
    texts
}

/// Load the text, and every variant when it loads: the outcome does not matter, only that
/// nothing panics.
fn exercise(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    if let Ok(s) = scenario::load_str(Path::new("fuzz.ron"), &text) {
        for v in &s.spec().variants {
            let _ = s.with_variant(&v.id);
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Delete(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1usize..200).prop_map(|(i, n)| Mutation::Delete(i, n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        exercise(&bytes);
    }

    #[test]
    fn mutated_scenarios_never_panic(which in any::<usize>(), muts in proptest::collection::vec(mutation(), 1..4)) {
        let texts = valid_texts();
        let mut bytes = texts[which % texts.len()].clone().into_bytes();
        for m in muts {
            let n = bytes.len().max(1);
            match m {
                Mutation::Flip(i, b) => { if !bytes.is_empty() { bytes[i % n] = b; } }
                Mutation::Truncate(i) => bytes.truncate(i % n),
                Mutation::Delete(i, len) => {
                    let start = i % n;
                    let end = (start + len).min(bytes.len());
                    if start < end { bytes.drain(start..end); }
                }
            }
        }
        exercise(&bytes);
    }
}

#[test]
fn a_hundred_megabyte_file_is_refused_before_reading() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("huge.ron");
    let f = std::fs::File::create(&p).expect("create");
    f.set_len(100 * 1024 * 1024).expect("sparse file");
    match scenario::load(&p) {
        Err(tabletop::Error::Invalid(m)) => assert!(m.to_string().contains("limited to"), "{m}"),
        other => panic!("expected a size error, got {other:?}"),
    }
}

#[test]
fn non_utf8_files_are_refused_with_a_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("latin1.ron");
    std::fs::write(&p, b"(\n  name: \"caf\xe9\"").expect("write");
    match scenario::load(&p) {
        Err(tabletop::Error::Invalid(m)) => {
            assert!(m.to_string().contains("line 2, column 13"), "{m}")
        }
        other => panic!("expected a UTF-8 error, got {other:?}"),
    }
}

#[test]
fn deep_nesting_is_refused_without_overflow() {
    for open in ["[", "(", "Some(", "{a:"] {
        let text = open.repeat(200_000);
        assert!(scenario::load_str(Path::new("deep.ron"), &text).is_err());
    }
}

#[test]
fn gigantic_numbers_are_errors_not_panics() {
    let huge_int =
        scenario::STARTER.replacen("analysts: 4,", "analysts: 99999999999999999999999999,", 1);
    let err = scenario::load_str(Path::new("n.ron"), &huge_int).expect_err("out of range");
    assert!(err.to_string().contains("out of range"), "{err}");
    let huge_float = scenario::STARTER.replacen("duration: days(3)", "duration: days(1e400)", 1);
    assert!(scenario::load_str(Path::new("f.ron"), &huge_float).is_err());
}
