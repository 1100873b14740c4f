//! build.rs - tells rustc where liblarder is. The library is built by the
//! repo's Makefile, not by cargo, so it is looked for, in this order:
//!   1. LARDER_LIB_DIR: a folder holding liblarder.a and larder.pc (a build
//!      folder), linked statically;
//!   2. pkg-config `larder` (an installed Larder);
//!   3. the repo's own build folder, ../../build, linked statically.
//!
//! Static linking keeps binaries free of run-time library paths and makes a
//! Rust lookup cost what a C lookup costs.
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=LARDER_LIB_DIR");
    if let Some(dir) = env::var_os("LARDER_LIB_DIR") {
        link_build_folder(Path::new(&dir));
    } else if !link_pkg_config() {
        let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
        link_build_folder(&manifest.join("../../build"));
    }
}

/// Links `dir`/liblarder.a and the system libraries its larder.pc lists.
fn link_build_folder(dir: &Path) {
    let lib = dir.join("liblarder.a");
    let pc = dir.join("larder.pc");
    let pc_text = fs::read_to_string(&pc).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): run `make` at the repo root first, or set LARDER_LIB_DIR",
            pc.display()
        )
    });
    println!("cargo:rerun-if-changed={}", lib.display());
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-lib=static=larder");
    let private = pc_text
        .lines()
        .find_map(|l| l.strip_prefix("Libs.private:"))
        .unwrap_or("");
    emit_link_flags(private);
}

/// Links what `pkg-config --libs --static larder` says; false when
/// pkg-config or larder.pc is absent.
fn link_pkg_config() -> bool {
    let out = Command::new("pkg-config")
        .args(["--libs", "--static", "larder"])
        .output();
    match out {
        Ok(o) if o.status.success() => {
            emit_link_flags(&String::from_utf8_lossy(&o.stdout));
            true
        }
        _ => false,
    }
}

/// Turns `-Ldir` and `-lname` linker flags into cargo directives.
fn emit_link_flags(flags: &str) {
    for flag in flags.split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
        } else if let Some(name) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib={name}");
        }
    }
}
