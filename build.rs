//! Writes `generated/`: the C# interop from the FFI inventory and the PowerShell cmdlet functions, manifest, formats
//! and schemas from the cmdlet catalog (see crates/codegen). Files are rewritten only when their text changes.

fn main() {
    let root = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    println!("cargo:rerun-if-changed=build.rs");
    for input in mgpresence_codegen::hand_written_inputs(&root).unwrap_or_else(|e| panic!("reading the codegen inputs failed: {e}")) {
        println!("cargo:rerun-if-changed={}", input.display());
    }
    println!("cargo:rerun-if-changed=generated");
    match mgpresence_codegen::write_generated(&root) {
        Ok(changed) => {
            for path in changed {
                println!("cargo:warning=regenerated {}", path.display());
            }
        }
        Err(e) => panic!("generating generated/ failed: {e}"),
    }
}
