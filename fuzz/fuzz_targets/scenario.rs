//! libFuzzer target: one input through `tabletop::fuzz::check_input`; a panic is a crash.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = tabletop::fuzz::check_input(data);
});
