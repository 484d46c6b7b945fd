//! Feeds arbitrary bytes to the loader as YAML and as JSON, then runs every rule on
//! whatever loaded. Any panic, overflow or hang is a bug: bad input must become a
//! diagnostic.
//!
//! The loader catches panics inside the third-party YAML parsers (saphyr-parser,
//! libyaml-safer) and reports them as input errors; libFuzzer's hook would abort on
//! those, so they are let through to the loader's guard. Every other panic aborts.
#![no_main]

use std::sync::Once;

use libfuzzer_sys::fuzz_target;

static HOOK: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    HOOK.call_once(|| {
        let fuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let third_party = info
                .location()
                .is_some_and(|l| l.file().contains("libyaml-safer") || l.file().contains("saphyr-parser"));
            if !third_party {
                fuzzer_hook(info);
            }
        }));
    });
    let text = String::from_utf8_lossy(data);
    for name in ["fuzz.yaml", "fuzz.json"] {
        let loaded = rampart_source::load_str(name, &text);
        let inventory = rampart_model::Inventory::new(loaded.files, loaded.objects, None);
        let _ = rampart_rules::engine::run(&inventory, &rampart_rules::Selection::default(), &rampart_rules::Settings::default());
    }
});
