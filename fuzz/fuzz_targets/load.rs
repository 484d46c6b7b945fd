//! Feeds arbitrary bytes to the loader as YAML and as JSON, then runs every rule on
//! whatever loaded. Any panic, overflow or hang is a bug: bad input must become a
//! diagnostic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for name in ["fuzz.yaml", "fuzz.json"] {
        let loaded = rampart_source::load_str(name, &text);
        let inventory = rampart_model::Inventory::new(loaded.files, loaded.objects, None);
        let _ = rampart_rules::engine::run(&inventory, &rampart_rules::Selection::default());
    }
});
