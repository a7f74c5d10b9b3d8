//! Tests that need PostgreSQL run when `TELLER_TEST_DATABASE_URL` is set at
//! build time, and the browser tests (`tests/browser.rs`: Chromium and
//! `npm ci --prefix tests/browser`) when `TELLER_BROWSER_TESTS=1`; otherwise
//! they are compiled as ignored (reported as such, never as passed).
fn main() {
    println!("cargo::rustc-check-cfg=cfg(teller_pg_tests)");
    println!("cargo::rustc-check-cfg=cfg(teller_browser_tests)");
    println!("cargo::rerun-if-env-changed=TELLER_TEST_DATABASE_URL");
    println!("cargo::rerun-if-env-changed=TELLER_BROWSER_TESTS");
    // The Fluent files are embedded by a macro cargo cannot see into.
    println!("cargo::rerun-if-changed=locales");
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("TELLER_TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=teller_pg_tests");
    }
    if std::env::var("TELLER_BROWSER_TESTS").is_ok_and(|v| v == "1") {
        println!("cargo::rustc-cfg=teller_browser_tests");
    }
}
