//! Fuzz target `inventory_ini`: see entries.rs.
#![no_main]

#[path = "entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::inventory_ini(data));
