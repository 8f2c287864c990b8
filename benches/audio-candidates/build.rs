// Only relevant for the `webrtc` feature: the bundled C++ APM is linked against an abseil
// (>= 20240722) that we built ourselves into deps/absl-prefix (Debian 12 ships 20220623,
// which the bundled meson build rejects, and meson cannot download its abseil wrap offline).
// Link every static abseil archive as one group so the order does not matter.
fn main() {
    println!("cargo:rerun-if-env-changed=ABSL_PREFIX");
    if std::env::var_os("CARGO_FEATURE_WEBRTC").is_none() {
        return;
    }
    let prefix = std::env::var("ABSL_PREFIX").expect("set ABSL_PREFIX for the webrtc feature");
    let lib = std::path::Path::new(&prefix).join("lib");
    let mut libs: Vec<_> = std::fs::read_dir(&lib)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().map_or(false, |x| x == "a"))
        .collect();
    libs.sort();
    println!("cargo:rustc-link-arg=-Wl,--start-group");
    for l in libs {
        println!("cargo:rustc-link-arg={}", l.display());
    }
    println!("cargo:rustc-link-arg=-Wl,--end-group");
    println!("cargo:rustc-link-arg=-lstdc++");
}
